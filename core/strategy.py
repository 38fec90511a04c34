"""The two ways a tracker keeps an action's times, and the one interface it keeps them by.

``"running"`` keeps a bounded quantile sketch (``LogSketch``), exact while an action has
at most ``EXACT_LIMIT`` times; ``"samples"`` keeps every time (``SampleStore``). The
tracker only ever talks to ``Distribution``, so adding a third way means writing one
class, not finding every place that asks which kind it holds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Literal, Protocol

import numpy as np
import numpy.typing as npt

from core.exactsum import Number
from core.samples import SampleStore
from core.sketch import Accuracy, LogSketch

if TYPE_CHECKING:
    from typing_extensions import Self

Strategy = Literal["running", "samples"]
STRATEGIES: tuple[Strategy, ...] = ("running", "samples")


def check_strategy(value: object) -> Strategy:
    """``value`` as a ``Strategy``; ``ValueError`` naming the choices when it is not one."""
    if value == "running":
        return "running"
    if value == "samples":
        return "samples"
    raise ValueError(f"strategy must be 'running' or 'samples', got {value!r}")


class Distribution(Protocol):
    """One action's times beyond count, mean, min and max, as one strategy keeps them."""

    @property
    def nbytes(self) -> int:
        """Bytes held by the distribution's arrays."""
        ...

    def add(self, array: npt.NDArray[np.float64]) -> None:
        """Take in a batch of times (all finite and >= 0)."""
        ...

    def frozen(self) -> Self:
        """A copy that later adds to this one leave unchanged, for readers outside locks."""
        ...

    def merged_with(self, others: Sequence[Self]) -> Self:
        """A new distribution holding this one's times and the others' (the same kind)."""
        ...

    def quantiles(
        self, qs: Sequence[float], minimum: Number, maximum: Number, others: Sequence[Self] = ()
    ) -> tuple[Number, ...]:
        """The quantiles ``qs`` (numpy's default interpolation) of this distribution's times
        and the ``others``' together, within [minimum, maximum]."""
        ...

    def cumulative_counts(
        self,
        bounds: Sequence[float],
        minimum: Number,
        maximum: Number,
        others: Sequence[Self] = (),
    ) -> tuple[int, ...]:
        """How many times of this distribution and the ``others`` are <= each of ``bounds``
        (ascending, finite), given their ``minimum`` and ``maximum``: exact when
        ``accuracy`` says "exact", else within the same relative accuracy as
        ``quantiles``."""
        ...

    def accuracy(self, others: Sequence[Self] = ()) -> Accuracy:
        """Whether ``quantiles`` over this distribution and the ``others`` is exact."""
        ...

    def latest(self, count: int) -> Self:
        """The last ``count`` times added (a window's), as far as this kind keeps them
        one by one: all of them, or a small sketch's exact ones in a sketch whose buckets
        the caller fills from a ring (see ``RING_BUCKETS``)."""
        ...

    def kept(self) -> npt.NDArray[np.float64] | None:
        """The times this distribution keeps, in arrival order (all, or a small sketch's
        exact ones), or None."""
        ...

    def with_kept(self, values: npt.NDArray[np.float64]) -> Self:
        """This distribution with its kept times replaced by ``values``: the same times
        in another order."""
        ...

    def values(self) -> npt.NDArray[np.float64] | None:
        """Every time in arrival order, when this kind keeps them; None otherwise."""
        ...


NEW_DISTRIBUTION: dict[Strategy, Callable[[], Distribution]] = {
    "running": LogSketch,
    "samples": SampleStore,
}
"""An empty distribution of each strategy's kind."""

RING_BUCKETS: dict[Strategy, bool] = {"running": True, "samples": False}
"""Whether a strategy's per-second ring keeps sketch bucket counts: a kind that keeps
every time finds a window's times among them, and needs none."""
