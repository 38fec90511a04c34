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


def scaled_array_sum(
    array: npt.NDArray[np.float64], bounds: tuple[float, float] | None = None
) -> int:
    """Return the exact sum of ``array`` (finite, >= 0) times 2**1074, at numpy speed;
    ``bounds``, the array's smallest and largest values when the caller has them, saves
    looking for them.

    Values within a range of a few powers of two (most batches of times) are summed
    by ``_narrow_sum`` in a handful of numpy calls. Otherwise each value is an integer
    mantissa below 2**53 times a power of two: mantissas are cut into two halves below
    2**27, and each half is summed per exponent by one ``bincount`` in float64, exactly;
    the few per-exponent totals are then shifted into place as ints.
    """
    count = len(array)
    if not count:
        return 0
    smallest, largest = (float(array.min()), float(array.max())) if bounds is None else bounds
    if smallest <= 0.0:  # zeros add nothing: the smallest positive value sets the unit
        smallest = float(np.min(array, where=array > 0.0, initial=math.inf))
        if smallest == math.inf:
            return 0
    narrow = _narrow_sum(array, count, smallest, largest)
    if narrow is not None:
        return narrow
    if count >= _MAX_ARRAY_SUM:
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
_HIGH_PART = ~((1 << _HALF_BITS) - 1)
"""Clears the low 26 bits of a float64's significand, leaving its top 27 bits."""
_LOWEST_NORMAL_EXPONENT = -1021
"""``math.frexp``'s exponent of the smallest normal float64 (subnormals share its unit)."""


def _narrow_sum(
    array: npt.NDArray[np.float64], count: int, smallest: float, largest: float
) -> int | None:
    """The exact sum of ``array`` (> 0 where not zero) times 2**1074 from two float64
    sums, when its positive values span few enough powers of two; else None.

    Each value is split into its top 27 significand bits and the rest (both exact). Every
    top part is a multiple of the smallest value's unit ``u`` (2**26 of its last bits),
    and the top parts sum to less than ``count`` * 2**top_exponent; while that is at most
    2**53 * u, every partial sum numpy forms is a multiple of ``u`` below 2**53 * u, so
    exact in float64 whatever the order. The rest parts are multiples of the smallest
    value's last bit and below 2**26 of the largest's, the same way exact. ``count``'s
    bits plus the spread of exponents at most 26 guarantees both (with the total below
    the float64 range)."""
    bottom = max(math.frexp(smallest)[1], _LOWEST_NORMAL_EXPONENT)
    top = math.frexp(largest)[1]
    size = count.bit_length()
    if size + top - bottom > _HALF_BITS or size + top > 1024:
        return None
    high_parts = (array.view(np.int64) & _HIGH_PART).view(np.float64)
    low_parts = array - high_parts
    return scaled(float(high_parts.sum())) + scaled(float(low_parts.sum()))


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
