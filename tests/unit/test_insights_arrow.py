"""NumPy to Arrow and back without pandas: the same values as pyarrow's own conversions, no copy,
and no pandas imported by the insights section's scoring, movements and churn table."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pyarrow as pa
import pytest

from agents.insights._arrow import arrow_array, numpy_array, string_array


@pytest.mark.parametrize("dtype", [np.int8, np.int32, np.int64, np.float64])
def test_a_numeric_array_goes_to_arrow_and_back_unchanged(dtype: type) -> None:
    values: np.ndarray = np.array([3, 0, 7, 1], dtype=dtype)

    array = arrow_array(values)

    assert array.equals(pa.array(values))
    assert np.array_equal(numpy_array(array), values)
    assert numpy_array(array).dtype == values.dtype


def test_nan_stays_a_number_not_a_null() -> None:
    array = arrow_array(np.array([1.0, np.nan]))

    assert array.null_count == 0
    assert np.isnan(numpy_array(array)[1])


def test_a_column_of_several_chunks_and_a_slice_read_back_in_order() -> None:
    column = pa.chunked_array([arrow_array(np.arange(3)), arrow_array(np.arange(3, 5))])

    assert numpy_array(column).tolist() == [0, 1, 2, 3, 4]
    assert numpy_array(arrow_array(np.arange(6))[2:4]).tolist() == [2, 3]


def test_a_strided_array_is_made_contiguous_first() -> None:
    assert numpy_array(arrow_array(np.arange(10)[::3])).tolist() == [0, 3, 6, 9]


def test_strings_become_an_arrow_string_array() -> None:
    labels = ["Champions", "Can't Lose Them", "Québec", ""]

    assert string_array(labels).equals(pa.array(labels))
    assert string_array([]).to_pylist() == []


def test_a_masked_array_or_a_column_with_nulls_is_refused() -> None:
    with pytest.raises(TypeError, match="masked"):
        arrow_array(np.ma.masked_invalid(np.array([1.0, np.nan])))
    with pytest.raises(ValueError, match="nulls"):
        numpy_array(pa.array([1, None]))


def test_text_or_a_table_is_not_taken_for_a_numeric_column() -> None:
    with pytest.raises(TypeError, match="numeric"):
        arrow_array(np.array(["a"]))
    with pytest.raises(TypeError, match="1-D"):
        arrow_array(np.ones((2, 2)))


_SECTION_WITHOUT_PANDAS = """
import json, sys
from datetime import date, timedelta
from pathlib import Path
import numpy as np
import policies
from agents.insights.agent import _churn_facts
from agents.insights.churn import churn_scores
from agents.insights.history import CustomerHistory
from agents.insights.rfm import movements_between, score_rfm

rng = np.random.default_rng(7)
n = 400
orders = rng.integers(1, 9, n)
age = rng.integers(30, 700, n)
span = (age * rng.uniform(0, 1, n)).astype(np.int64) * (orders > 1)
def history(as_of):
    return CustomerHistory(
        as_of=as_of, customer_id=np.arange(1, n + 1), days_since_last_order=age - span,
        orders=orders, revenue=orders * rng.uniform(20, 90, n), first_to_last_days=span,
        age_days=age, months_since_first_order=age // 30,
        active_months=np.ones((n, 1), dtype=np.int64))
policy = policies.load_policies(Path(policies.__file__).parent).rfm
now = score_rfm(history(date(2026, 11, 22)), policy)
movements_between(score_rfm(history(date(2026, 11, 15)), policy), now)
_churn_facts(churn_scores(history(date(2026, 11, 22)), policy.churn), now)
print(json.dumps(sorted(sys.modules)))
"""


def test_scoring_movements_and_churn_facts_import_no_pandas() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _SECTION_WITHOUT_PANDAS],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )

    assert "pandas" not in json.loads(done.stdout)
