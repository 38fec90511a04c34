"""Taking changes back in the engine: capture, restore, remove and merge on a tracker,
and the undo history over them. No Qt."""

from __future__ import annotations

from pathlib import Path

import pytest

import core.tracker
from core import ActionTracker, InvalidActionError, Strategy
from core.undo import UndoError, UndoHistory


def _payload(name: str, time: float) -> str:
    return f'{{"action": "{name}", "time": {time}}}'


def _tracker(strategy: Strategy = "running", **times: list[float]) -> ActionTracker:
    tracker = ActionTracker(strategy)
    for name, values in times.items():
        for value in values:
            tracker.add_action(_payload(name, value))
    return tracker


@pytest.mark.parametrize("strategy", ["running", "samples"])
def test_capture_then_restore_puts_back_every_figure(strategy: Strategy) -> None:
    tracker = _tracker(strategy, jump=[1, 2, 3], run=[10])
    before = tracker.snapshot()
    state = tracker.capture()
    tracker.add_action(_payload("jump", 100))
    tracker.add_action(_payload("walk", 5))
    tracker.restore(state)
    after = tracker.snapshot()
    assert after.actions == before.actions
    assert after.version > before.version  # a change, for autosave and viewers
    assert after.resets != before.resets
    assert tracker.get_stats() == '[{"action":"jump","avg":2},{"action":"run","avg":10}]'


def test_restore_of_some_names_leaves_the_others_alone() -> None:
    tracker = _tracker(jump=[1], run=[10])
    state = tracker.capture(["jump", "new"])
    assert [action.name for action in state.actions] == ["jump"]
    tracker.add_action(_payload("jump", 3))
    tracker.add_action(_payload("new", 4))
    tracker.add_action(_payload("run", 30))
    tracker.restore(state, ["jump", "new"])
    snapshot = tracker.snapshot()
    assert [stats.action for stats in snapshot.actions] == ["jump", "run"]
    assert snapshot.get("jump").count == 1  # type: ignore[union-attr]
    assert snapshot.get("run").count == 2  # type: ignore[union-attr]


def test_remove_forgets_the_names_and_frees_room_under_the_limit() -> None:
    tracker = _tracker(jump=[1, 2], run=[10], walk=[4])
    tracker.remove(["jump", "walk", "unknown"])
    assert tracker.get_stats() == '[{"action":"run","avg":10}]'
    tracker.add_action(_payload("jump", 7))  # a fresh start for the name
    assert tracker.snapshot().get("jump").count == 1  # type: ignore[union-attr]


def test_merge_adds_another_trackers_times_as_if_added_here() -> None:
    tracker = _tracker(jump=[1, 2])
    staged = _tracker(jump=[3, 4], run=[10])
    version = tracker.version
    tracker.merge(staged.capture())
    direct = _tracker(jump=[1, 2, 3, 4], run=[10])
    assert tracker.snapshot().actions == direct.snapshot().actions
    assert tracker.version == version + 3
    tracker.add_action(_payload("run", 20))  # keeps working
    assert tracker.snapshot().get("run").count == 2  # type: ignore[union-attr]


def test_merge_past_the_limit_changes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(core.tracker, "MAX_ACTIONS", 50)  # read at each check: the same edge
    tracker = ActionTracker()
    tracker.add_actions([_payload(f"a{i}", 1) for i in range(core.tracker.MAX_ACTIONS - 1)])
    staged = _tracker(x=[1], y=[2])
    before = tracker.snapshot()
    with pytest.raises(InvalidActionError, match="limit"):
        tracker.merge(staged.capture())
    assert tracker.snapshot() == before


def test_merge_refuses_another_strategy() -> None:
    with pytest.raises(ValueError, match="samples"):
        ActionTracker("running").merge(_tracker("samples", jump=[1]).capture())


def test_changes_survive_a_save_and_open(tmp_path: Path) -> None:
    tracker = _tracker(jump=[1], run=[10])
    tracker.remove(["run"])
    tracker.merge(_tracker(walk=[5]).capture())
    tracker.save(tmp_path / "s")
    assert ActionTracker.open(tmp_path / "s").get_stats() == tracker.get_stats()


# --- the history ---------------------------------------------------------------------


def test_undo_takes_back_the_last_add_only() -> None:
    tracker = _tracker(jump=[10])
    history = UndoHistory(tracker)
    history.add_action(_payload("jump", 20))
    history.add_action(_payload("new", 5))
    assert history.next_undo is not None
    assert history.next_undo.description == "add new: 5"
    history.undo()
    assert tracker.get_stats() == '[{"action":"jump","avg":15}]'
    history.undo()
    assert tracker.get_stats() == '[{"action":"jump","avg":10}]'
    assert history.undo() is None  # the add made before the history is not its own


def test_an_invalid_add_records_nothing() -> None:
    history = UndoHistory(ActionTracker())
    with pytest.raises(InvalidActionError):
        history.add_action('{"action": "x", "time": -1}')
    assert history.next_undo is None


def test_undo_of_a_merge_and_of_a_delete() -> None:
    tracker = _tracker(jump=[1])
    history = UndoHistory(tracker)
    history.merge(_tracker(jump=[3], run=[10]).capture(), "load a.ndjson")
    history.remove(["jump"])
    assert tracker.get_stats() == '[{"action":"run","avg":10}]'
    assert history.undo() is not None
    assert tracker.get_stats() == '[{"action":"run","avg":10},{"action":"jump","avg":2}]'
    change = history.undo()
    assert change is not None
    assert change.description == "load a.ndjson"
    assert tracker.get_stats() == '[{"action":"jump","avg":1}]'


def test_undo_refuses_when_its_actions_changed_from_elsewhere() -> None:
    tracker = ActionTracker()
    history = UndoHistory(tracker)
    history.add_action(_payload("jump", 1))
    tracker.add_action(_payload("jump", 2))  # a live source, say
    with pytest.raises(UndoError, match="changed since"):
        history.undo()
    assert tracker.snapshot().get("jump").count == 2  # type: ignore[union-attr]
    assert history.next_undo is None


def test_other_actions_changing_do_not_block_undo() -> None:
    tracker = ActionTracker()
    history = UndoHistory(tracker)
    history.add_action(_payload("jump", 1))
    tracker.add_action(_payload("other", 2))
    history.undo()
    assert tracker.get_stats() == '[{"action":"other","avg":2}]'


def test_the_history_is_bounded() -> None:
    history = UndoHistory(ActionTracker(), limit=3)
    for time in range(5):
        history.add_action(_payload("jump", time))
    undone = 0
    while history.undo() is not None:
        undone += 1
    assert undone == 3
    assert history.tracker.snapshot().get("jump").count == 2  # type: ignore[union-attr]


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -1.0])
def test_a_hand_made_state_is_checked_before_anything_changes(bad: float) -> None:
    tracker = _tracker(jump=[1])
    state = _tracker(run=[10]).capture()
    state.actions[0].moments.maximum = bad
    before = tracker.snapshot()
    with pytest.raises(InvalidActionError):
        tracker.merge(state)
    with pytest.raises(InvalidActionError):
        tracker.restore(state)
    assert tracker.snapshot() == before
