"""Seeding benchmark: rows per second and peak memory for the sample company.

    python bench/seed.py                 # 1,000,000 customers (~10M orders)
    python bench/seed.py --customers 5000

Peak memory is the process's peak resident set (DuckDB works inside this process).
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.append(str(Path(__file__).resolve().parents[1]))  # run as a script: bench.figures

from bench.figures import Figures
from integrations.warehouse import SampleCompanySpec, Warehouse


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    figures = Figures("seed")
    with tempfile.TemporaryDirectory(prefix="controlroom-bench-") as folder:
        warehouse = Warehouse(Path(folder) / "warehouse.duckdb")
        spec = SampleCompanySpec(customers=args.customers, seed=args.seed, until=date(2026, 11, 22))
        started = time.perf_counter()
        warehouse.seed(spec)
        seconds = time.perf_counter() - started
        summary = warehouse.summary()
        size = warehouse.path.stat().st_size
    rows = (
        summary.customers + summary.orders + summary.support_tickets + summary.marketing_spend_rows
    )
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"customers          {summary.customers:>14,}")
    print(f"orders             {summary.orders:>14,}")
    print(f"support tickets    {summary.support_tickets:>14,}")
    print(f"seconds            {seconds:>14.1f}")
    print(f"rows/second        {rows / seconds:>14,.0f}")
    print(f"orders/second      {summary.orders / seconds:>14,.0f}")
    print(f"peak memory (MiB)  {peak_mib:>14,.0f}")
    print(f"file size (MiB)    {size / 2**20:>14,.0f}")
    customers = f"{summary.customers:,} customers"
    figures.add(f"{customers}: seeding", seconds, "s")
    figures.add(f"{customers}: orders/second", summary.orders / seconds, "orders/s")
    figures.add(f"{customers}: peak memory", peak_mib, "MiB")
    figures.save()


if __name__ == "__main__":
    main()
