"""Exact sums of floats and ints, kept as one integer scaled by 2**1074.

Every finite float is an integer multiple of 2**-1074, so an ``int`` scaled by 2**1074
holds any sum of times without rounding. Averages come out correctly rounded however many
samples arrive, and identical whatever order or batching the samples arrived in.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

Number = int | float

SCALE_BITS = 1074
MAX_EXACT_INT = 2**53
"""Ints up to this size convert to float exactly, so ``math.fsum`` sums them exactly."""

_MAX_RESIDUAL_PASSES = 40  # the exact sum of floats needs at most ~40 doubles


def scaled(value: Number) -> int:
    """Return ``value * 2**1074`` as an exact integer."""
    numerator, denominator = value.as_integer_ratio()
    return numerator << (SCALE_BITS - denominator.bit_length() + 1)


def scaled_sum(values: Sequence[Number], largest: Number) -> int:
    """Return the exact sum of ``values`` times 2**1074.

    ``math.fsum`` is correctly rounded, not exact; subtracting each rounded partial and
    summing again yields the residuals until nothing is left, usually in two C-speed
    passes. Ints too large for a double, or sums that overflow, take the per-item path.
    """
    if largest <= MAX_EXACT_INT or not any(
        type(value) is int and value > MAX_EXACT_INT for value in values
    ):
        try:
            total = 0
            residuals: list[float] = []
            for _ in range(_MAX_RESIDUAL_PASSES):
                partial = math.fsum([*values, *residuals]) if residuals else math.fsum(values)
                if not partial:
                    return total
                total += scaled(partial)
                residuals.append(-partial)
        except OverflowError:
            pass
    return sum(map(scaled, values))


_HALF_BITS = 26
_HALF_MASK = (1 << _HALF_BITS) - 1
_MAX_ARRAY_SUM = 1 << 26
"""Values per exact array sum: each bucket sums halves below 2**27 in float64, exact while
the bucket's total stays below 2**53."""


def scaled_array_sum(array: npt.NDArray[np.float64]) -> int:
    """Return the exact sum of ``array`` (finite, >= 0) times 2**1074, at numpy speed.

    Each value is an integer mantissa below 2**53 times a power of two. Mantissas are cut
    into two halves below 2**27, and each half is summed per exponent by one ``bincount``
    in float64, exactly; the few per-exponent totals are then shifted into place as ints.
    """
    if len(array) >= _MAX_ARRAY_SUM:
        return sum(scaled_array_sum(part) for part in np.array_split(array, 2))
    fractions, exponents = np.frexp(array)
    mantissas = (fractions * _MANTISSA_SCALE).astype(np.int64)  # exact: 53 bits at most
    lowest = int(exponents.min()) if len(exponents) else 0
    buckets = exponents - lowest
    highs = np.bincount(buckets, weights=mantissas >> _HALF_BITS).tolist()
    lows = np.bincount(buckets, weights=mantissas & _HALF_MASK).tolist()
    total = 0
    # A value is mantissa * 2**(exponent - 53), so times 2**1074 it is the mantissa shifted
    # by exponent + 1021; subnormals shift right, by bits that their mantissas lack.
    for bucket, (high, low) in enumerate(zip(highs, lows, strict=True)):
        if high or low:
            part = (int(high) << _HALF_BITS) + int(low)
            shift = bucket + lowest + SCALE_BITS - 53
            total += part << shift if shift >= 0 else part >> -shift
    return total


_MANTISSA_SCALE = float(1 << 53)


def divide(total_scaled: int, count: int) -> Number:
    """Return the mean ``total / count``: an ``int`` when exactly integral and small enough
    to print as one, otherwise the correctly rounded float."""
    denominator = count << SCALE_BITS
    quotient, remainder = divmod(total_scaled, denominator)
    if not remainder and quotient <= MAX_EXACT_INT:
        return quotient
    return total_scaled / denominator


def unscaled(total_scaled: int) -> Number:
    """The number ``total_scaled / 2**1074``: an ``int`` when whole and small enough to
    print as one, else the correctly rounded float; ``math.inf`` beyond the double range
    (two times of 1.7e308 sum to more than any double)."""
    try:
        return divide(total_scaled, 1)
    except OverflowError:
        return math.inf
