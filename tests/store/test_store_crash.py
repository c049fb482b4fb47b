"""A short crash run: SIGKILL a working child many times; nothing returned is ever lost."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.store.crash_harness import crash_run

pytestmark = pytest.mark.skipif(os.name != "posix", reason="fork and SIGKILL are POSIX")


def test_nothing_enqueued_is_lost_or_doubled_when_killed_at_random(tmp_path: Path) -> None:
    report = crash_run(tmp_path / "data", kills=30, seed=20261128)
    assert report.problems == []
    assert report.kills == 30
    # the run must have exercised what it claims to
    assert report.enqueued >= 30
    assert report.answered > 0 and report.archived > 0
