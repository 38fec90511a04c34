"""``single_quantiles`` gives each sketch's own ``quantiles``, to the last bit."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from core.samples import SampleStore, stacked_quantiles
from core.sketch import LogSketch, single_quantiles

QS = (0.5, 0.9, 0.99)

times = st.lists(
    st.one_of(st.just(0.0), st.floats(1e-6, 1e12, allow_nan=False, allow_infinity=False)),
    min_size=1,
    max_size=60,
)


def sketch_of(values: list[float]) -> LogSketch:
    sketch = LogSketch()
    sketch.add(np.asarray(values, dtype=np.float64))
    sketch.exact = None  # as a window's sketch past its exact values
    return sketch


@settings(max_examples=200, deadline=None)
@given(st.lists(times, min_size=1, max_size=8))
def test_each_sketch_gets_its_own_quantiles(groups: list[list[float]]) -> None:
    sketches = [sketch_of(values) for values in groups]
    lows = [min(values) for values in groups]
    highs = [max(values) for values in groups]
    expected = [
        sketch.quantiles(QS, low, high)
        for sketch, low, high in zip(sketches, lows, highs, strict=True)
    ]
    assert single_quantiles(sketches, QS, lows, highs) == expected


def test_no_sketches_no_figures() -> None:
    assert single_quantiles([], QS, [], []) == []


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.floats(0, 1e6), min_size=1, max_size=6), min_size=1, max_size=8))
def test_stacked_stores_get_their_own_quantiles(groups: list[list[float]]) -> None:
    stores = [SampleStore.of(np.asarray(values, dtype=np.float64)) for values in groups]
    lows = [min(values) for values in groups]
    highs = [max(values) for values in groups]
    expected = [
        store.quantiles(QS, low, high) for store, low, high in zip(stores, lows, highs, strict=True)
    ]
    assert stacked_quantiles(stores, QS, lows, highs) == expected
