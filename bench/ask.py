"""``ask`` speed and plan accuracy on the evaluation set (tests/evals/ask_*.yaml), offline.

Prints figures; asserts nothing. Run: ``.venv/bin/python bench/ask.py [--repeat 1]``.

- plan: the planner alone (rules; no model configured), per request, warm process;
- answer: the whole request as ``controlroom ask`` runs it in a warm process — planning, every
  plan answered from the metrics layer and the specialists' tools, the run recorded — on the
  seeded sample company (5,000 customers), excluding only the model (the offline writer);
- cli: ``controlroom ask`` as a person runs it, a new process with its imports (median of 3);
- accuracy: the exact-plan rate of the development and the held-out half.

The headline figures, against issue 14's answer p99 under 500 ms, go into this bench's section of
``var/bench/latest.md`` (``bench/figures.py``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from agents.planner.plans import Plans  # noqa: E402
from bench.figures import Figures, Target  # noqa: E402
from controlroom import team  # noqa: E402
from controlroom.services import build_services, ready_knowledge_base  # noqa: E402
from controlroom.settings import Settings  # noqa: E402
from integrations.llm import OfflineWriter  # noqa: E402
from integrations.warehouse import SampleCompanySpec, Warehouse  # noqa: E402
from tests.evals.ask_eval import DEV_SET, HOLDOUT_SET, load_eval_set, score  # noqa: E402

CLI_QUESTION = "revenue by channel last month vs same time last year"
CONTROLROOM = str(Path(sys.executable).with_name("controlroom"))


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def report(
    name: str, seconds: list[float], figures: Figures, *, p99_target: Target | None = None
) -> None:
    ms = [s * 1000 for s in seconds]
    p50, p99 = percentile(ms, 0.5), percentile(ms, 0.99)
    print(f"{name:<8} n={len(ms):>4}  p50 {p50:7.1f} ms  p99 {p99:7.1f} ms  max {max(ms):7.1f} ms")
    figures.add(f"{name}, {len(ms):,} requests: p50", p50, "ms")
    figures.add(f"{name}, {len(ms):,} requests: p99", p99, "ms", target=p99_target)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="timed passes over the set")
    args = parser.parse_args()
    figures = Figures("ask")
    cases = [*load_eval_set(DEV_SET).cases, *load_eval_set(HOLDOUT_SET).cases]
    with tempfile.TemporaryDirectory() as var:
        started = time.perf_counter()
        Warehouse(Path(var) / "warehouse.duckdb").seed(
            SampleCompanySpec(customers=5_000, seed=42, until=date.today())
        )
        services = build_services(_offline_settings(var))
        ready_knowledge_base(services)
        print(f"setup: sample company and help centre in {time.perf_counter() - started:.1f} s")
        planner = team.planner(services)
        offline = OfflineWriter()

        def plan(request: str, today: date) -> Plans:
            return planner.plan(request, today, model=offline).plans

        for case in cases:  # warm: the first call builds the vocabulary and dateparser
            plan(case.request, case.today)
        planning = []
        for _ in range(args.repeat):
            for case in cases:
                start = time.perf_counter()
                plan(case.request, case.today)
                planning.append(time.perf_counter() - start)
        report("plan", planning, figures)

        for case in cases[:5]:
            team.ask(services, case.request, started_by="bench", trigger="cli")
        answering, slowest = [], []
        for _ in range(args.repeat):
            for case in cases:
                start = time.perf_counter()
                team.ask(services, case.request, started_by="bench", trigger="cli")
                elapsed = time.perf_counter() - start
                answering.append(elapsed)
                slowest.append((elapsed, case.request))
        report("answer", answering, figures, p99_target=("<", 500.0))
        for elapsed, request in sorted(slowest, reverse=True)[:3]:
            print(f"         slowest: {elapsed * 1000:7.1f} ms  {request!r}")

        # The person's environment, with the bench's var dir and no model: the offline path.
        env = {**os.environ, "CONTROLROOM_VAR_DIR": var}  # noqa: TID251
        for key in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "DATABASE_URL", "WAREHOUSE_PATH"):
            env.pop(key, None)
        cli = []
        for _ in range(3):
            start = time.perf_counter()
            subprocess.run(
                [CONTROLROOM, "ask", CLI_QUESTION],
                env=env,
                cwd=ROOT,
                check=True,
                capture_output=True,
            )
            cli.append(time.perf_counter() - start)
        print(f"cli      median {statistics.median(cli):.2f} s over 3 ({CLI_QUESTION!r})")
        figures.add("`controlroom ask`, a new process (median of 3)", statistics.median(cli), "s")
        services.close()

    for name, path in (("dev", DEV_SET), ("held-out", HOLDOUT_SET)):
        evaluated = score(load_eval_set(path).cases, plan)
        print(f"accuracy {name:<9} exact plan {evaluated.exact}")
        figures.add(f"exact plans, {name} set", evaluated.exact.rate, "share")
    figures.save()


def _offline_settings(var_dir: str) -> Settings:
    # Embedded defaults whatever the environment says: nothing here may reach a real service.
    offline: dict[str, Any] = {
        str(field.validation_alias): None
        for field in Settings.model_fields.values()
        if field.validation_alias and field.default is None
    }
    return Settings(_env_file=None, **(offline | {"CONTROLROOM_VAR_DIR": var_dir}))


if __name__ == "__main__":
    main()
