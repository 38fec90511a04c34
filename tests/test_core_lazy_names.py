"""``core`` imports its public names on first use: every one is there, and a worker
child importing ``core.loading`` does not pay for the live sources."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import core

ROOT = Path(core.__file__).resolve().parents[1]


@pytest.mark.parametrize("name", core.__all__)
def test_every_public_name_is_the_one_its_module_defines(name: str) -> None:
    value = getattr(core, name)
    assert value is getattr(sys.modules[core._HOMES[name]], name)
    assert name in dir(core)


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'Trackr'"):
        getattr(core, "Trackr")  # noqa: B009


def _modules_after(code: str) -> set[str]:
    script = f"import json, sys\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        cwd=ROOT,
    )
    return set(json.loads(result.stdout))


def test_a_loading_worker_imports_no_live_source_nor_the_tracker() -> None:
    loaded = _modules_after("from core.loading import serve_pieces")
    assert {"core.loading", "core.workerprocs", "core.childproc"} <= loaded
    unwanted = {"core.tracker", "core.listener", "core.follower", "core.session"}
    assert loaded & unwanted == set()


def test_star_import_gives_every_public_name() -> None:
    names: dict[str, object] = {}
    exec("from core import *", names)
    assert set(core.__all__) <= set(names)
