"""The analytics steps one by one: seconds and peak memory, at 50K and 10M orders.

    python bench/analytics.py                      # both sizes (seeds 1M customers: ~30-60 s)
    python bench/analytics.py --customers 5000     # one size
    python bench/analytics.py --warehouse PATH     # an existing warehouse file

Steps: customer history (the one SQL pass behind RFM, cohorts and the BG/NBD input), RFM scores,
cohorts, the MBG/NBD fit, P(alive) and expected purchases for every customer, KPIs, the revenue
forecast. Each step alone, the best of several runs at the small size (as timeit does): what a
step costs, not what the weekly pass costs, which ``bench/weekly.py`` measures as a person runs
it. Their sum is the analytics compute, held at 50K orders (5,000 customers) to issue 16's
target of 50 ms in this bench's section of ``var/bench/latest.md`` (``bench/figures.py``).
Peak memory is the process's peak resident set during the step (Linux: reset through
/proc/self/clear_refs before each step); DuckDB runs in this process.

With the `bench` extra installed it compares our BG/NBD and MBG/NBD fits with `lifetimes`'
``BetaGeoFitter`` and ``ModifiedBetaGeoFitter`` like for like: same input, interleaved runs,
the median of five each, and the fitted parameters side by side. A second peer for BG/NBD is
PyMC-Marketing's ``BetaGeoModel`` fitted by MAP with flat priors on r, α, a and b (so its MAP
is the same maximum-likelihood estimate): the model built and fitted each run, its first fit in
the process (PyTensor compiling the model) reported apart.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

sys.path.append(str(Path(__file__).resolve().parents[1]))  # run as a script: bench.figures

import policies
from agents.finance import forecast as forecast_module
from agents.finance.forecast import forecast_revenue
from agents.finance.kpis import weekly_kpis
from agents.finance.weeks import weekly_revenue
from agents.insights.churn import (
    ChurnModel,
    expected_purchases,
    fit_bgnbd,
    probability_alive,
)
from agents.insights.cohorts import retention_from_history
from agents.insights.history import customer_history
from agents.insights.rfm import score_rfm
from bench.figures import Figures
from integrations.warehouse import SampleCompanySpec, Warehouse

UNTIL = date(2026, 11, 22)
# Issue 16's target for the analytics compute (the steps summed), by customers seeded.
COMPUTE_TARGET_MS = {5_000: 50.0}


def _peak_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _reset_peak() -> None:
    gc.collect()
    Path("/proc/self/clear_refs").write_text("5")


def _step(
    name: str, work: Callable[[], Any], timings: list[tuple[str, float, float]], repeat: int
) -> Any:
    """Time ``work`` ``repeat`` times and keep the fastest (as timeit does: the rest is noise
    from other processes on a shared machine)."""
    best = float("inf")
    _reset_peak()
    for _ in range(repeat):
        started = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - started)
    timings.append((name, best, _peak_mib()))
    return result


def run(
    warehouse: Warehouse, *, repeat: int, figures: Figures, compute_target_ms: float | None = None
) -> None:
    rfm_policy = policies.load_policies(Path(policies.__file__).parent).rfm
    timings: list[tuple[str, float, float]] = []
    with warehouse.connect() as connection:
        orders = connection.execute("SELECT count(*) FROM orders").fetchall()[0][0]
        history = _step(
            "customer history (SQL)", lambda: customer_history(connection, UNTIL), timings, repeat
        )
        _step("RFM scores", lambda: score_rfm(history, rfm_policy), timings, repeat)
        _step("cohorts", lambda: retention_from_history(history), timings, repeat)
        x = history.repeat_orders.astype(np.float64)
        tx = history.first_to_last_days.astype(np.float64)
        age = history.age_days.astype(np.float64)
        params = _step(
            "MBG/NBD fit", lambda: fit_bgnbd(x, tx, age, model="mbg_nbd"), timings, repeat
        )
        _step(
            "P(alive) + expected purchases",
            lambda: (
                probability_alive(params, x, tx, age),
                expected_purchases(params, 90.0, x, tx, age),
            ),
            timings,
            repeat,
        )
        _step("KPIs", lambda: weekly_kpis(connection), timings, repeat)
        series = _step("weekly revenue", lambda: weekly_revenue(connection), timings, repeat)

    def fresh_forecast() -> object:
        forecast_module._forecast.cache_clear()  # memoised by its figures: time the fit itself
        return forecast_revenue(series, weeks=8)

    _step("forecast (8 weeks + backtest)", fresh_forecast, timings, repeat)

    print(f"\n{warehouse.path}: {orders:,} orders, {len(history):,} customers")
    print(f"{'step':<32}{'seconds':>10}{'peak MiB':>10}")
    for name, seconds, peak in timings:
        print(f"{name:<32}{seconds:>10.3f}{peak:>10.0f}")
    first_three = sum(seconds for _, seconds, _ in timings[:3])
    compute = sum(seconds for _, seconds, _ in timings)
    print(f"{'RFM + cohorts + BG/NBD input':<32}{first_three:>10.3f}")
    print(f"{'analytics compute (steps summed)':<32}{compute:>10.3f}")
    print("(steps alone, best of each: the weekly pass as a person runs it is bench/weekly.py)")
    size = f"{orders:,} orders"
    figures.add(
        f"{size}: analytics compute (steps' best summed)",
        compute * 1000,
        "ms",
        target=None if compute_target_ms is None else ("<", compute_target_ms),
    )
    figures.add(f"{size}: RFM + cohorts + BG/NBD input", first_three * 1000, "ms")
    _compare_with_lifetimes(x, tx, age, runs=5, figures=figures)
    _compare_with_pymc_marketing(x, tx, age, runs=5, figures=figures)


def _interleaved(
    ours: Callable[[], Any], theirs: Callable[[], Any], runs: int
) -> tuple[tuple[float, Any], tuple[float, Any]]:
    """Each function ``runs`` times, alternately (ours, theirs, ours …): the median seconds of
    each and its last result."""
    seconds: tuple[list[float], list[float]] = ([], [])
    results: list[Any] = [None, None]
    for _ in range(runs):
        for side, fit in enumerate((ours, theirs)):
            started = time.perf_counter()
            results[side] = fit()
            seconds[side].append(time.perf_counter() - started)
    return (
        (statistics.median(seconds[0]), results[0]),
        (statistics.median(seconds[1]), results[1]),
    )


def _compare_with_lifetimes(
    x: np.ndarray, tx: np.ndarray, age: np.ndarray, runs: int, figures: Figures
) -> None:
    """Our fits against ``lifetimes``' like for like: BG/NBD against ``BetaGeoFitter``, MBG/NBD
    against ``ModifiedBetaGeoFitter``, on the same arrays, runs interleaved (ours, theirs, ours
    …), the median of each; the fitted parameters side by side show both converged."""
    try:
        from lifetimes import BetaGeoFitter, ModifiedBetaGeoFitter
    except ImportError:
        print("lifetimes not installed (pip install -e '.[bench]'): no comparison")
        return
    peers: dict[ChurnModel, Any] = {"bg_nbd": BetaGeoFitter, "mbg_nbd": ModifiedBetaGeoFitter}
    print(f"\nlike for like, interleaved, median of {runs} fits each ({len(x):,} customers):")
    print(f"{'model':<10}{'ours s':>9}{'lifetimes s':>13}{'ratio':>8}   parameters (r, α, a, b)")
    for model, peer in peers.items():
        (mine, params), (peer_s, fitted) = _interleaved(
            lambda model=model: fit_bgnbd(x, tx, age, model=model),
            lambda peer=peer: peer().fit(x, tx, age),
            runs,
        )
        figures.add(f"{len(x):,} customers: {model} fit, lifetimes ÷ ours", peer_s / mine, "×")
        print(
            f"{model:<10}{mine:>9.3f}{peer_s:>13.3f}{peer_s / mine:>7.1f}×   ours "
            f"{params.r:.4f}, {params.alpha:.4f}, {params.a:.4f}, {params.b:.4f}; lifetimes "
            + ", ".join(f"{fitted.params_[k]:.4f}" for k in ("r", "alpha", "a", "b"))
        )


def _compare_with_pymc_marketing(
    x: np.ndarray, tx: np.ndarray, age: np.ndarray, runs: int, figures: Figures
) -> None:
    """Our BG/NBD against PyMC-Marketing's ``BetaGeoModel`` MAP fit with flat priors (the
    maximum-likelihood estimate, as ours), on the same arrays, runs interleaved, the median of
    each after one fit of theirs that compiles the model; the parameters side by side."""
    try:
        import pandas as pd
        from pymc_marketing.clv import BetaGeoModel
        from pymc_marketing.prior import Prior
    except ImportError:
        print("pymc-marketing not installed (pip install -e '.[bench]'): no comparison")
        return
    data = pd.DataFrame({"customer_id": np.arange(len(x)), "frequency": x, "recency": tx, "T": age})
    flat = {name: Prior("HalfFlat") for name in ("r", "alpha", "a", "b")}

    def theirs_fit() -> Any:
        model = BetaGeoModel(data=data, model_config=flat)
        model.fit(method="map", progressbar=False)
        return model.fit_result  # the one MAP "draw" (fit_summary rounds to 3 decimals)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTensor's advice on BLAS, printed once per process
        started = time.perf_counter()
        theirs_fit()
        first = time.perf_counter() - started
        (mine, params), (peer_s, fitted) = _interleaved(
            lambda: fit_bgnbd(x, tx, age, model="bg_nbd"), theirs_fit, runs
        )
    figures.add(f"{len(x):,} customers: bg_nbd fit, PyMC-Marketing MAP ÷ ours", peer_s / mine, "×")
    print(
        f"\nPyMC-Marketing BetaGeoModel, MAP with flat priors, interleaved, median of {runs} "
        f"({len(x):,} customers; its first fit, compiling the model: {first:.1f} s):\n"
        f"{'model':<10}{'ours s':>9}{'PyMC s':>13}{'ratio':>8}   parameters (r, α, a, b)\n"
        f"{'bg_nbd':<10}{mine:>9.3f}{peer_s:>13.3f}{peer_s / mine:>7.1f}×   ours "
        f"{params.r:.4f}, {params.alpha:.4f}, {params.a:.4f}, {params.b:.4f}; PyMC-Marketing "
        + ", ".join(f"{float(fitted[k].values.squeeze()):.4f}" for k in ("r", "alpha", "a", "b"))
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, action="append")
    parser.add_argument("--warehouse", type=Path)
    parser.add_argument(
        "--repeat",
        type=int,
        help="times each step runs; the fastest counts (default: 7 for "
        "up to 100,000 customers, else 1)",
    )
    args = parser.parse_args()
    figures = Figures("analytics")
    if args.warehouse:
        run(Warehouse(args.warehouse), repeat=args.repeat or 1, figures=figures)
        figures.save()
        return
    for customers in args.customers or [5_000, 1_000_000]:
        with tempfile.TemporaryDirectory(prefix="controlroom-bench-") as folder:
            warehouse = Warehouse(Path(folder) / "warehouse.duckdb")
            started = time.perf_counter()
            warehouse.seed(SampleCompanySpec(customers=customers, seed=42, until=UNTIL))
            print(f"seeded {customers:,} customers in {time.perf_counter() - started:.1f} s")
            run(
                warehouse,
                repeat=args.repeat or (7 if customers <= 100_000 else 1),
                figures=figures,
                compute_target_ms=COMPUTE_TARGET_MS.get(customers),
            )
    figures.save()


if __name__ == "__main__":
    main()
