"""The sync's words: both languages with the same placeholders, and every key the code uses exists."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

import sync.auth
import sync.client
from branch_app.i18n.catalogs.sync import MESSAGES
from sync.engine import OUTCOMES

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [
    *sorted((ROOT / "sync").glob("*.py")),
    ROOT / "branch_app/services/session.py",
    ROOT / "branch_app/ui/dialogs/login.py",
    ROOT / "branch_app/ui/dialogs/enrol.py",
    ROOT / "branch_app/ui/dialogs/sync_progress.py",
    ROOT / "branch_app/ui/controllers/session_keeper.py",
    ROOT / "branch_app/ui/controllers/sync_monitor.py",
    ROOT / "branch_app/ui/widgets/sync_status.py",
]


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("key", sorted(MESSAGES))
def test_both_languages_with_the_same_placeholders(key: str) -> None:
    english, chinese = MESSAGES[key]
    assert key.startswith("sync.")
    assert english.strip() and chinese.strip() and english != chinese
    assert placeholders(english) == placeholders(chinese)


def test_every_literal_key_in_the_code_exists() -> None:
    used = set()
    for path in SOURCES:
        used |= set(re.findall(r"\"(sync\.[a-z_.]+)\"", path.read_text(encoding="utf-8")))
    missing = {key for key in used if key not in MESSAGES and not key.endswith(".")}
    assert not missing


def test_every_error_and_outcome_has_words() -> None:
    keys = set()
    for module in (sync.client, sync.auth):
        for value in vars(module).values():
            if isinstance(value, type) and isinstance(getattr(value, "key", None), str):
                keys.add(value.key)
    keys |= {f"sync.summary.outcome.{outcome}" for outcome in OUTCOMES}
    assert keys <= set(MESSAGES), keys - set(MESSAGES)
