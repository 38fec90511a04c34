"""Steps as Qt painter paths, and back: the distribution view draws them with plain
``QGraphicsPathItem``s, which Qt paints in C++ (a pyqtgraph curve paints in Python, and
each Python call in a paint waits for the GIL while producers hold it)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pyqtgraph as pg
from PySide6.QtGui import QPainterPath

Values = Sequence[float] | npt.NDArray[np.float64]


def bars_path(edges: Values, counts: Values) -> QPainterPath:
    """A closed outline of histogram bars: ``counts[i]`` from ``edges[i]`` to
    ``edges[i + 1]``, down to zero at both ends (so it can be filled)."""
    xs = np.repeat(np.asarray(edges, dtype=np.float64), 2)
    ys = np.concatenate(([0.0], np.repeat(np.asarray(counts, dtype=np.float64), 2), [0.0]))
    path: QPainterPath = pg.arrayToQPath(xs, ys, connect="all", finiteCheck=False)
    return path


def steps_path(edges: Values, values: Values) -> QPainterPath:
    """An open line of steps: ``values[i]`` from ``edges[i]`` to ``edges[i + 1]``."""
    xs = np.repeat(np.asarray(edges, dtype=np.float64), 2)[1:-1]
    ys = np.repeat(np.asarray(values, dtype=np.float64), 2)
    path: QPainterPath = pg.arrayToQPath(xs, ys, connect="all", finiteCheck=False)
    return path


def _points(path: QPainterPath) -> tuple[list[float], list[float]]:
    elements = [path.elementAt(index) for index in range(path.elementCount())]
    return [element.x for element in elements], [element.y for element in elements]


def read_bars(path: QPainterPath) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """The edges and counts a ``bars_path`` draws."""
    xs, ys = _points(path)
    return tuple(xs[0::2]), tuple(ys[1:-1:2])


def read_steps(path: QPainterPath) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """The edges and values a ``steps_path`` draws."""
    xs, ys = _points(path)
    if not xs:
        return (), ()
    return (xs[0], *xs[1::2]), tuple(ys[0::2])
