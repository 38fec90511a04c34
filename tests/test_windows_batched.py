"""The batched window figures equal each action's own, to the last bit, for sizes and
ties the small cases of test_single_quantiles do not reach."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from core.samples import SampleStore, stacked_quantiles

QS = (0.5, 0.9, 0.99)


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 400),
    st.integers(2, 6),
    st.integers(0, 2**32 - 1),
    st.sampled_from([3, 50, 10**6]),
)
def test_stacked_stores_of_one_size_get_their_own_quantiles(
    size: int, rows: int, seed: int, spread: int
) -> None:
    # Few distinct values (a small spread) make ties around every rank read.
    rng = np.random.default_rng(seed)
    stores = [SampleStore.of(rng.integers(0, spread, size).astype(np.float64)) for _ in range(rows)]
    lows = [float(store.view().min()) for store in stores]
    highs = [float(store.view().max()) for store in stores]
    expected = [
        store.quantiles(QS, low, high) for store, low, high in zip(stores, lows, highs, strict=True)
    ]
    assert stacked_quantiles(stores, QS, lows, highs) == expected
