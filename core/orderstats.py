"""Quantiles from order statistics, exactly as numpy's default ("linear") computes them."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any, overload

import numpy as np
import numpy.typing as npt


@overload
def linear_quantiles(ordered: Sequence[float], qs: Iterable[float]) -> list[float]: ...


@overload
def linear_quantiles(ordered: npt.NDArray[np.float64], qs: Iterable[float]) -> list[Any]:
    """An array's: floats for a 1-D array, arrays (one value per column) for a 2-D one."""


def linear_quantiles(
    ordered: Sequence[float] | npt.NDArray[np.float64], qs: Iterable[float]
) -> list[Any]:
    """``np.quantile(ordered, qs)`` to the last bit (its default "linear" method, in the
    same arithmetic): np.quantile's own overhead per call is many times the work, and a
    snapshot of 10,000 small actions makes 10,000 calls. ``ordered`` need only hold the
    right order statistics at the places read (``needed_ranks``): a partition will do.
    A 2-D ``ordered`` holds many sets of values, one per column, each place a row: every
    quantile is then worked out for all the sets at once, as an array."""
    last = len(ordered) - 1
    result = []
    for q in qs:
        virtual = last * q
        lower = math.floor(virtual)
        if lower >= last:
            result.append(ordered[last])
            continue
        low, high = ordered[lower], ordered[lower + 1]
        gamma = virtual - lower
        difference = high - low
        # numpy's _lerp: from the nearer end, so that gamma 1 gives high exactly.
        result.append(high - difference * (1 - gamma) if gamma >= 0.5 else low + difference * gamma)
    return result


def needed_ranks(count: int, qs: Iterable[float]) -> list[int]:
    """The 0-based order statistics ``linear_quantiles`` reads for ``count`` values."""
    last = count - 1
    ranks: set[int] = set()
    for q in qs:
        lower = math.floor(last * q)
        ranks.update((lower, min(lower + 1, last)))
    return sorted(ranks)
