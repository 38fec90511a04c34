"""The narrow exact sum (two float64 sums of split values) is exact up to its bound: it
is taken for batches within a few powers of two, including those with zeros."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from core.exactsum import _narrow_sum, scaled, scaled_array_sum


def exact(values: list[float]) -> int:
    return sum(map(scaled, values))


@st.composite
def narrow_batches(draw: st.DrawFn) -> list[float]:
    """Batches whose positive values span at most ``spread`` powers of two from a random
    base, with zeros and values at the extremes of each binade among them."""
    base = draw(st.integers(min_value=-1074, max_value=1000))
    spread = draw(st.integers(min_value=0, max_value=20))
    count = draw(st.integers(min_value=1, max_value=300))
    low, high = 2.0 ** max(base, -1074), 2.0 ** min(base + spread, 1023)
    value = st.one_of(
        st.floats(min_value=low, max_value=high, allow_nan=False, allow_infinity=False),
        st.sampled_from([low, high, math.nextafter(high, 0), 0.0]),
    )
    return draw(st.lists(value, min_size=count, max_size=count))


@settings(max_examples=200, deadline=None)
@given(narrow_batches())
def test_the_narrow_sum_is_exact_whenever_it_is_taken(values: list[float]) -> None:
    array = np.array(values, dtype=np.float64)
    positive = array[array > 0]
    assert scaled_array_sum(array) == exact(values)
    assert scaled_array_sum(array, (float(array.min()), float(array.max()))) == exact(values)
    if len(positive):
        narrow = _narrow_sum(array, len(array), float(positive.min()), float(array.max()))
        assert narrow is None or narrow == exact(values)


def test_the_worst_case_at_the_bound_is_exact() -> None:
    """4,096 values with every significand bit set, 13 powers of two above one value at
    the bottom: the largest spread a batch of 4,096 takes the narrow way with."""
    top = math.nextafter(2.0**14, 0)  # every significand bit set, just below 2**14
    values = [top] * 4095 + [1.0]
    array = np.array(values)
    assert _narrow_sum(array, len(array), 1.0, top) == exact(values)
    assert _narrow_sum(array, len(array), 0.5, top) is None  # one power of two more


def test_typical_batches_take_the_narrow_way() -> None:
    rng = np.random.default_rng(1)
    for array in (
        np.round(rng.normal(100, 15, 4096), 3),
        rng.integers(1, 1001, 4096).astype(np.float64),
        rng.uniform(10, 10.5, 4096),
    ):
        narrow = _narrow_sum(array, len(array), float(array.min()), float(array.max()))
        assert narrow == exact(array.tolist())


def test_values_near_the_largest_double_do_not_overflow() -> None:
    values = [1.7976931348623157e308] * 4
    array = np.array(values)
    assert _narrow_sum(array, 4, values[0], values[0]) is None
    assert scaled_array_sum(array) == exact(values)
