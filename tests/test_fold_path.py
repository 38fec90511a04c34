"""The fold's conversions: packing times into float64 and scaling by a power of two give
the very numbers numpy's own conversion and ``np.ldexp`` give."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from core.exactsum import Number
from core.moments import _times_power_of_two
from core.stripes import as_float64


@pytest.mark.parametrize(
    "values",
    [
        [],
        [0, 1, 1000, 7],
        [3, 2.5, 0.1],  # an int first, a float among them
        [2.5, 3, 1e308],
        [2**63 - 1, 2**63, 2**64 + 1, 5],  # ints past int64 still fit a double
        [2**53 + 1, 1],  # rounds in float64 as numpy rounds it
        [5e-324, 2.2250738585072014e-308, 1.7976931348623157e308],
    ],
)
def test_as_float64_gives_numpys_numbers(values: list[Number]) -> None:
    packed = as_float64(values)
    assert packed.dtype == np.float64
    assert packed.tobytes() == np.array(values, dtype=np.float64).tobytes()
    assert not packed.flags.writeable  # whichever way it was packed


def test_as_float64_of_random_batches_gives_numpys_numbers() -> None:
    rng = random.Random(4)
    for _ in range(50):
        values: list[Number] = [
            rng.choice((rng.randrange(0, 10**6), rng.uniform(0, 1e6), rng.random() * 1e-300))
            for _ in range(rng.randrange(1, 300))
        ]
        assert as_float64(values).tobytes() == np.array(values, dtype=np.float64).tobytes()


@pytest.mark.parametrize("values", [[10**400], [1, 10**400], [1.5, 10**400]])
def test_as_float64_refuses_an_int_beyond_float64_with_overflow_error(
    values: list[Number],
) -> None:
    with pytest.raises(OverflowError):
        as_float64(values)


@pytest.mark.parametrize("exp", [-1075, -1074, -1030, -1022, -60, -1, 0, 1, 60, 1023, 1024, 1074])
def test_times_power_of_two_is_ldexp_to_the_bit(exp: int) -> None:
    rng = np.random.default_rng(7)
    values = np.concatenate(
        (
            rng.random(500),
            rng.random(200) * 1e-300,  # results fall among the subnormals for low exps
            rng.random(200) * 1e300,  # and overflow for high ones
            [0.0, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, math.ulp(1.0)],
        )
    )
    with np.errstate(over="ignore"):
        expected = np.ldexp(values, exp)
        got = _times_power_of_two(values, exp)
    assert got.tobytes() == expected.tobytes()
