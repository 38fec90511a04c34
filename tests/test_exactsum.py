"""The array sum (numpy, per exponent) and the fsum-based sum agree on every batch."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from core.exactsum import MAX_EXACT_INT, scaled, scaled_array_sum, scaled_sum

TIMES = st.one_of(
    st.floats(min_value=0, allow_infinity=False, allow_nan=False),
    st.floats(min_value=0, max_value=1e-300),  # subnormals among them
    st.integers(min_value=0, max_value=MAX_EXACT_INT),
    st.sampled_from([0.0, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(TIMES, min_size=1, max_size=300))
def test_the_array_sum_is_the_exact_sum(values: list[float]) -> None:
    exact = sum(map(scaled, values))
    assert scaled_array_sum(np.array(values, dtype=np.float64)) == exact
    assert scaled_sum(values, max(values)) == exact


def test_many_of_the_largest_mantissa_in_one_exponent_stay_exact() -> None:
    """Half-mantissa buckets near their limit: 2**20 values with every mantissa bit set."""
    value = float(MAX_EXACT_INT - 1)
    array = np.full(1 << 20, value)
    assert scaled_array_sum(array) == scaled(value) * (1 << 20)


def test_an_empty_array_sums_to_zero() -> None:
    assert scaled_array_sum(np.empty(0)) == 0
