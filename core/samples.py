"""Every time of one action, kept in a growable float64 array (at most 12 bytes a sample)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from core.exactsum import Number

_GROWTH = 1.5  # capacity stays within 1.5x the size: 8 bytes a sample, 12 at worst
_MIN_CAPACITY = 64


class SampleStore:
    """Append-only: a view of the filled prefix never changes, so readers may keep one
    without a lock while more samples arrive."""

    __slots__ = ("_data", "size")

    def __init__(self) -> None:
        self._data: npt.NDArray[np.float64] = np.empty(0, dtype=np.float64)
        self.size = 0

    def add(self, array: npt.NDArray[np.float64], minimum: Number = 0) -> None:
        """Append a batch, reallocating when full (old views stay valid); ``minimum`` is
        unused, for the same signature as ``LogSketch.add``."""
        end = self.size + len(array)
        if end > len(self._data):
            capacity = max(end, int(len(self._data) * _GROWTH), _MIN_CAPACITY)
            grown = np.empty(capacity, dtype=np.float64)
            grown[: self.size] = self._data[: self.size]
            self._data = grown
        self._data[self.size : end] = array
        self.size = end

    def view(self) -> npt.NDArray[np.float64]:
        """A read-only view of the samples added so far."""
        view = self._data[: self.size]
        view.flags.writeable = False
        return view

    def frozen(self) -> SampleStore:
        """A store sharing this one's samples so far; it is never written to."""
        clone = SampleStore()
        clone._data, clone.size = self.view(), self.size
        return clone

    @property
    def nbytes(self) -> int:
        """Bytes held, spare capacity included."""
        return int(self._data.nbytes)
