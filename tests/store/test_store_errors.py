"""Store errors carry a code and parameters; their words live only in the store catalog."""

from __future__ import annotations

from pathlib import Path

from branch_app.i18n import catalog, t
from branch_app.store import errors
from branch_app.store.errors import StoreCorrupt, StoreError


def every_error_class() -> list[type[StoreError]]:
    found: list[type[StoreError]] = []
    pending: list[type[StoreError]] = [StoreError]
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending += cls.__subclasses__()
    return found


def test_every_store_error_has_its_sentence_in_both_languages_and_no_prose_of_its_own() -> None:
    classes = every_error_class()
    assert len(classes) >= 10
    assert len({cls.code for cls in classes}) == len(classes), "every error has its own code"
    for cls in classes:
        assert f"store.error.{cls.code}" in catalog(), cls
        assert not hasattr(cls, "english") and not hasattr(cls, "chinese"), cls
    source = Path(errors.__file__).read_text(encoding="utf-8")
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in source), "no Chinese text in errors.py"


def test_a_store_error_is_shown_through_the_catalog() -> None:
    error = StoreCorrupt(Path("/data/outbox.json"), "the file is empty")
    assert error.code == "corrupt" and error.params["path"] == "/data/outbox.json"
    assert error.message("zh") == t("store.error.corrupt", "zh", **error.params)
    assert "已损坏" in error.message("zh")
    assert str(error) == t("store.error.corrupt", "en", **error.params)
    assert "branch-app store recover --file /data/outbox.json" in str(error)
