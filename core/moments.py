"""Count, exact sum, min, max and variance of one action's samples, mergeable.

Both strategies keep one ``Moments`` per action and thread, so they agree exactly on
count, mean, min and max. Variance uses Chan's parallel update on values scaled by a
power of two at or above the maximum: times near 1.7e308 never overflow to infinity.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from core.exactsum import (
    MAX_EXACT_INT,
    SCALE_BITS,
    Number,
    divide,
    scaled_array_sum,
    scaled_sum,
)


@dataclass(slots=True)
class Moments:
    """Running aggregates of one action; ``add`` takes a batch, ``merged`` combines."""

    count: int = 0
    total_scaled: int = 0
    minimum: Number = 0
    maximum: Number = 0
    scale_exp: int = 0
    """Values are held divided by 2**scale_exp, which keeps them in [0, 1)."""
    scaled_mean: float = 0.0
    scaled_m2: float = 0.0

    def add(
        self,
        values: Sequence[Number],
        array: npt.NDArray[np.float64],
        whole: npt.NDArray[np.int64] | None = None,
    ) -> Number:
        """Fold in a batch: ``values`` as given (exact sums) and the same as float64;
        ``whole``, the same as int64 when they are all ints that fit, sums them quicker.
        Returns the batch's smallest value."""
        low_at = int(array.argmin())
        high_at = int(array.argmax())
        bounds = (float(array[low_at]), float(array[high_at]))
        if bounds[1] >= MAX_EXACT_INT:  # 2**53 + 1 reads as 2**53 in float64: compare exactly
            low, high = min(values), max(values)
        else:
            low, high = values[low_at], values[high_at]
        self._add(array, bounds, low, high, values=values, whole=whole)
        return low

    def add_exact(self, array: npt.NDArray[np.float64], low: Number, high: Number) -> None:
        """Fold in a batch of times below 2**53, so exact in ``array``, whose smallest and
        largest as given (an int stays an int) are known: ``low`` and ``high``. The same
        as ``add`` with the values, for a caller that gathered the times as float64."""
        self._add(array, (float(low), float(high)), low, high, values=None, whole=None)

    def _add(
        self,
        array: npt.NDArray[np.float64],
        bounds: tuple[float, float],
        low: Number,
        high: Number,
        *,
        values: Sequence[Number] | None,
        whole: npt.NDArray[np.int64] | None,
    ) -> None:
        if self.count:
            self.minimum = min(self.minimum, low)
            self.maximum = max(self.maximum, high)
        else:
            self.minimum, self.maximum = low, high
        # Up to 2**53 every int is exact in float64, so the array sums to the same total.
        if whole is not None and high * len(whole) < _INT64_LIMIT:  # int64's sum is exact
            exact = int(whole.sum()) << SCALE_BITS
        elif high <= MAX_EXACT_INT:
            exact = scaled_array_sum(array, bounds)
        else:
            assert values is not None  # add_exact takes no time above 2**53
            exact = scaled_sum(values, high)
        self.total_scaled += exact
        # Zeros fit any scale: the lowest, so that the other side's scale is kept when
        # they are combined (scaled to 2**0, subnormal times beside them would vanish).
        exp = math.frexp(high)[1] if high else _ZEROS_EXPONENT
        if self.count:
            exp = max(self.scale_exp, exp)
        unit = _times_power_of_two(array, -exp)
        batch_mean = float(unit.sum()) / len(array)
        deviations = unit - batch_mean
        # The second term corrects the rounding of batch_mean (the corrected two-pass
        # algorithm), which matters when the spread is near the resolution of the data.
        drift = float(deviations.sum())
        batch_m2 = _sum_of_squares(deviations) - drift * drift / len(array)
        self._combine(len(array), exp, batch_mean, batch_m2)

    def _combine(self, count: int, exp: int, mean: float, m2: float) -> None:
        """Chan et al.'s pairwise update, after bringing both sides to the larger scale."""
        self.scale_exp, self.scaled_mean, self.scaled_m2 = combined_terms(
            (self.count, self.scale_exp, self.scaled_mean, self.scaled_m2), (count, exp, mean, m2)
        )
        self.count += count

    def absorb(self, other: Moments) -> None:
        """Add ``other``'s samples to these, as ``merged`` would (``other`` unchanged)."""
        if not other.count:
            return
        if not self.count:
            (
                self.count, self.total_scaled, self.minimum, self.maximum,
                self.scale_exp, self.scaled_mean, self.scaled_m2,
            ) = (
                other.count, other.total_scaled, other.minimum, other.maximum,
                other.scale_exp, other.scaled_mean, other.scaled_m2,
            )  # fmt: skip
            return
        self.minimum = min(self.minimum, other.minimum)
        self.maximum = max(self.maximum, other.maximum)
        self.total_scaled += other.total_scaled
        self._combine(other.count, other.scale_exp, other.scaled_mean, other.scaled_m2)

    @classmethod
    def merged(cls, parts: Iterable[Moments]) -> Moments:
        """Return one ``Moments`` equal to all ``parts`` together; the parts are unchanged."""
        result = cls()
        for part in parts:
            result.absorb(part)  # the first part is copied: merging one part changes no bit
        return result

    def copy(self) -> Moments:
        return Moments(
            self.count,
            self.total_scaled,
            self.minimum,
            self.maximum,
            self.scale_exp,
            self.scaled_mean,
            self.scaled_m2,
        )

    @property
    def mean(self) -> Number:
        """Correctly rounded mean; an ``int`` when it is a whole number."""
        return divide(self.total_scaled, self.count) if self.count else 0

    @property
    def stdev(self) -> float:
        """Sample standard deviation (n - 1); 0.0 for fewer than two samples."""
        if self.count < 2:
            return 0.0
        return math.ldexp(math.sqrt(max(self.scaled_m2, 0.0) / (self.count - 1)), self.scale_exp)


Terms = tuple[int, int, float, float]
"""Count, scale exponent, scaled mean and scaled M2 of a set of samples."""


def combined_terms(left: Terms, right: Terms) -> tuple[int, float, float]:
    """Scale exponent, scaled mean and scaled M2 of two sets of samples together, by
    Chan et al.'s pairwise update after bringing both to the larger scale."""
    count, exp, mean, m2 = left
    other_count, other_exp, other_mean, other_m2 = right
    if not count:
        return other_exp, other_mean, max(other_m2, 0.0)
    if other_exp > exp:
        mean = math.ldexp(mean, exp - other_exp)
        m2 = math.ldexp(m2, 2 * (exp - other_exp))
        exp = other_exp
    elif other_exp < exp:
        other_mean = math.ldexp(other_mean, other_exp - exp)
        other_m2 = math.ldexp(other_m2, 2 * (other_exp - exp))
    total = count + other_count
    delta = other_mean - mean
    mean += delta * other_count / total
    m2 += other_m2 + delta * delta * (count * other_count / total)
    return exp, mean, m2


_INT64_LIMIT = 1 << 63
"""Ints of a batch whose largest times their number stays below this sum in int64."""
_ZEROS_EXPONENT = -1074
"""The scale of a batch of zeros: below every positive float64's (``math.frexp`` of the
smallest subnormal is -1073)."""


def _times_power_of_two(array: npt.NDArray[np.float64], exp: int) -> npt.NDArray[np.float64]:
    """``np.ldexp(array, exp)``, to the bit: a product by an exact power of two is rounded
    as ldexp rounds, and numpy multiplies many times faster than it runs ldexp."""
    if -1022 <= exp <= 1023:  # 2**exp is a normal double
        return array * math.ldexp(1.0, exp)
    return np.ldexp(array, exp)


_DOT_BLOCK = 10_000
"""Longest vector handed to one ``np.dot``: OpenBLAS splits longer ones across threads,
whose start-up costs a thousand times the product itself."""


def _sum_of_squares(array: npt.NDArray[np.float64]) -> float:
    """``np.dot(array, array)``, in blocks that OpenBLAS keeps on the calling thread (the
    same figure as one call for up to _DOT_BLOCK values)."""
    if len(array) <= _DOT_BLOCK:
        return float(np.dot(array, array))
    total = 0.0
    for start in range(0, len(array), _DOT_BLOCK):
        block = array[start : start + _DOT_BLOCK]
        total += float(np.dot(block, block))
    return total
