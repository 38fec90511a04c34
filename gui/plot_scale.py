"""Axis arithmetic shared by the charts (plain Python, no Qt)."""

from __future__ import annotations

import math

LARGEST_PLOTTED = 1e300
"""Values above it are plotted divided by a power of ten (see ``value_scale``)."""


def value_scale(top: float) -> float:
    """What values up to ``top`` are divided by when plotted (and the axis label says
    so): 1, or for values near the largest double a power of ten that keeps pyqtgraph's
    and Qt's arithmetic on them (ticks, padding, transforms) finite."""
    if top <= LARGEST_PLOTTED:
        return 1.0
    return 10.0 ** (math.floor(math.log10(top)) - 3)


def scaled_label(name: str, scale: float) -> str:
    """An axis label naming the power of ten values were divided by: "time (ms) (×1e305)"."""
    return name if scale == 1.0 else f"{name} (×1e{round(math.log10(scale))})"


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2 or 5 times a power of ten that is >= ``value``."""
    if value <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return step * power
    return 10 * power
