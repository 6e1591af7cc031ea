"""The weekly digest as a person runs it, and the CLI's start-up: wall, CPU and peak memory.

    python bench/weekly.py                          # 5K, 50K, 500K and 1M customers
    python bench/weekly.py --customers 5000 --runs 7

Each run is ``controlroom run weekly-gtm`` in a fresh process, exactly as typed in a terminal:
imports, the four sections, the charts, the state store and the interpreter's exit all count.
Wall time is measured around the process, CPU time and peak resident memory are the operating
system's own figures for that process (``os.wait4``). Each size is seeded once (``controlroom
data seed``, seed 42) into ``var/bench/weekly/<customers>/`` and kept for later runs.

Start-up: ``controlroom --help`` against ``python -c "import typer, rich"``, interleaved, the
median CPU time of each (the issue's target: under 4x).

Prints one Markdown table per part, and the load average before and after, since other work on
the machine skews every figure; the tables and the headline figures (medians, against the issue's
targets) go into this bench's section of ``var/bench/latest.md`` (``bench/figures.py``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.append(str(Path(__file__).resolve().parents[1]))  # run as a script: bench.figures

from bench.figures import Figures, Target

ROOT = Path(__file__).resolve().parents[1]
CONTROLROOM = str(Path(sys.executable).with_name("controlroom"))
SIZES = (5_000, 50_000, 500_000, 1_000_000)
# The targets, by customers: (wall seconds, CPU seconds or None, peak MiB or None).
TARGETS = {5_000: (3.0, 4.0, None), 1_000_000: (4.0, None, 1_200.0)}


@dataclass(frozen=True, slots=True)
class Sample:
    wall: float
    cpu: float
    peak_mib: float
    exit_code: int


def _run(command: list[str], env: dict[str, str]) -> Sample:
    """One process, to its end: wall around it, CPU and peak RSS from the kernel."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT
    )
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    return Sample(
        wall=wall,
        cpu=usage.ru_utime + usage.ru_stime,
        peak_mib=usage.ru_maxrss / 1024,  # kilobytes on Linux
        exit_code=process.returncode,
    )


def _environment(var_dir: Path) -> dict[str, str]:
    # The bench sets up the child processes' environment, as a shell would.
    inherited = os.environ.items()  # noqa: TID251
    env = {k: v for k, v in inherited if not k.startswith(("CONTROLROOM_", "OPENAI_"))}
    env["CONTROLROOM_VAR_DIR"] = str(var_dir)
    return env


def _seeded(customers: int, root: Path) -> dict[str, str]:
    var_dir = root / str(customers)
    env = _environment(var_dir)
    if not (var_dir / "warehouse.duckdb").exists():
        print(f"seeding {customers:,} customers into {var_dir} …", flush=True)
        subprocess.run(
            [CONTROLROOM, "data", "seed", "--customers", str(customers), "--seed", "42"],
            env=env,
            check=True,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
        )
    return env


def _median(samples: list[Sample], field: str) -> float:
    return statistics.median(getattr(sample, field) for sample in samples)


def weekly(sizes: list[int], runs: int, root: Path, figures: Figures) -> list[str]:
    """Markdown rows: the weekly digest at each size, min and median of ``runs``; the medians
    added to ``figures``."""
    lines = [
        "| customers | runs | wall s (min / median) | CPU s (min / median) | peak RSS MiB "
        "(median) | growth (median wall) | exit codes | target |",
        "|---:|---:|---|---|---:|---:|---|---|",
    ]
    previous: float | None = None
    for customers in sizes:
        env = _seeded(customers, root)
        _run([CONTROLROOM, "run", "weekly-gtm"], env)  # the first run after seeding warms caches
        samples = [_run([CONTROLROOM, "run", "weekly-gtm"], env) for _ in range(runs)]
        wall, cpu = _median(samples, "wall"), _median(samples, "cpu")
        peak = _median(samples, "peak_mib")
        growth = f"{wall / previous:.2f}×" if previous else "—"
        previous = wall
        target = TARGETS.get(customers)
        wall_target, cpu_target, peak_target = target or (None, None, None)
        measure = f"weekly-gtm, {customers:,} customers"
        figures.add(f"{measure}: wall (median)", wall, "s", target=_under(wall_target))
        figures.add(f"{measure}: CPU (median)", cpu, "s", target=_under(cpu_target))
        figures.add(f"{measure}: peak RSS (median)", peak, "MiB", target=_under(peak_target))
        verdict = "—"
        if target is not None:
            met = [wall < target[0]]
            wanted = [f"wall < {target[0]:g} s"]
            if target[1] is not None:
                met.append(cpu < target[1])
                wanted.append(f"CPU < {target[1]:g} s")
            if target[2] is not None:
                met.append(peak < target[2])
                wanted.append(f"RSS < {target[2]:,.0f} MiB")
            verdict = f"{'met' if all(met) else 'NOT met'} ({', '.join(wanted)})"
        codes = sorted({sample.exit_code for sample in samples})
        lines.append(
            f"| {customers:,} | {runs} | {min(s.wall for s in samples):.2f} / {wall:.2f} "
            f"| {min(s.cpu for s in samples):.2f} / {cpu:.2f} | {peak:,.0f} | {growth} "
            f"| {', '.join(map(str, codes))} | {verdict} |"
        )
        print(lines[-1], flush=True)
    return lines


def _under(bound: float | None) -> Target | None:
    return None if bound is None else ("<", bound)


def start_up(runs: int, figures: Figures) -> list[str]:
    """Markdown rows: ``controlroom --help`` against importing Typer and Rich, interleaved; our
    median CPU time and its ratio to theirs added to ``figures``."""
    env = _environment(ROOT / "var")
    ours: list[Sample] = []
    theirs: list[Sample] = []
    for _ in range(runs):
        ours.append(_run([CONTROLROOM, "--help"], env))
        theirs.append(_run([sys.executable, "-c", "import typer, rich"], env))
    ratio = _median(ours, "cpu") / _median(theirs, "cpu")
    figures.add("`controlroom --help`: CPU (median)", _median(ours, "cpu"), "s")
    figures.add("`--help` CPU ÷ `import typer, rich` CPU", ratio, "×", target=("<", 4.0))
    return [
        "| command | runs | CPU s (median) | wall s (median) |",
        "|---|---:|---:|---:|",
        f"| `controlroom --help` | {runs} | {_median(ours, 'cpu'):.3f} "
        f"| {_median(ours, 'wall'):.3f} |",
        f'| `python -c "import typer, rich"` | {runs} | {_median(theirs, "cpu"):.3f} '
        f"| {_median(theirs, 'wall'):.3f} |",
        f"| ratio (target under 4×) | | {ratio:.1f}× | |",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, action="append", help="A size (repeatable).")
    parser.add_argument("--runs", type=int, default=5, help="Timed runs per size (median).")
    parser.add_argument("--root", type=Path, default=ROOT / "var" / "bench" / "weekly")
    args = parser.parse_args()
    figures = Figures("weekly")
    load_before = os.getloadavg()
    help_rows = start_up(max(args.runs, 7), figures)
    print("\n".join(help_rows), flush=True)
    weekly_rows = weekly(args.customers or list(SIZES), args.runs, args.root, figures)
    load_after = os.getloadavg()
    load = (
        f"load average (1, 5, 15 min) before {', '.join(f'{x:.2f}' for x in load_before)}; "
        f"after {', '.join(f'{x:.2f}' for x in load_after)}; {os.cpu_count()} cores"
    )
    print(load)
    figures.save(
        details="### Start-up\n\n"
        + "\n".join(help_rows)
        + "\n\n### `controlroom run weekly-gtm`, a fresh process per run\n\n"
        + "\n".join(weekly_rows)
    )


if __name__ == "__main__":
    main()
