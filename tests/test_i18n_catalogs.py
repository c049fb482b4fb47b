"""Every user-visible string exists in English and Simplified Chinese, and every key used exists."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import string
from pathlib import Path

import pytest

from branch_app.i18n import (
    Language,
    catalog,
    current_language,
    language_from_locale,
    load_catalog,
    set_language,
    t,
)
from branch_app.i18n import catalogs as catalogs_package

ROOT = Path(__file__).resolve().parent.parent
#: The packages whose code may call `t()`: the application, and the CLI parts of sync/central.
SOURCES = tuple(ROOT / name for name in ("branch_app", "sync", "central", "readers"))


def catalog_modules() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules(catalogs_package.__path__))


def placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def test_catalog_loads_without_a_key_defined_twice_across_modules() -> None:
    merged = load_catalog()
    assert len(merged) == sum(
        len(importlib.import_module(f"{catalogs_package.__name__}.{name}").MESSAGES)
        for name in catalog_modules()
    )


@pytest.mark.parametrize("module_name", catalog_modules())
def test_no_key_is_written_twice_in_one_module(module_name: str) -> None:
    """A dict literal silently keeps the last of two equal keys: read the source to catch it."""
    path = Path(catalogs_package.__path__[0]) / f"{module_name}.py"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    seen: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            for key in node.keys:
                if isinstance(key, ast.Constant) and isinstance(key.value, str):
                    assert key.value not in seen, f"{key.value!r} twice in {path.name}"
                    seen.add(key.value)


@pytest.mark.parametrize("module_name", catalog_modules())
def test_keys_belong_to_their_module_area(module_name: str) -> None:
    """An area's catalog holds its area's keys; a service's catalog (the data change's) holds
    all its words, in the areas it names in `AREAS` (its screen's, its receipt's, its refusals')."""
    module = importlib.import_module(f"{catalogs_package.__name__}.{module_name}")
    areas = tuple(f"{area}." for area in getattr(module, "AREAS", (module_name,)))
    for key in module.MESSAGES:
        assert key.startswith(areas), (
            f"{key!r} is in catalogs/{module_name}.py, whose areas are {areas}: "
            "a service's catalog names the areas it adds to in AREAS"
        )


def test_every_key_has_both_languages_with_the_same_placeholders() -> None:
    for key, pair in catalog().items():
        assert isinstance(pair, tuple) and len(pair) == 2, key
        english, chinese = pair
        assert isinstance(english, str) and english.strip(), f"{key}: English is empty"
        assert isinstance(chinese, str) and chinese.strip(), f"{key}: Chinese is empty"
        assert placeholders(english) == placeholders(chinese), f"{key}: placeholders differ"


def literal_keys_used(root: Path) -> dict[str, list[str]]:
    """Every `t("literal", ...)` in the source: key -> where."""
    used: dict[str, list[str]] = {}
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "t"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                where = f"{path.relative_to(root).as_posix()}:{node.lineno}"
                used.setdefault(node.args[0].value, []).append(where)
    return used


def test_every_literal_key_in_the_code_exists() -> None:
    used: dict[str, list[str]] = {}
    for source in SOURCES:
        if source.is_dir():
            for key, where in literal_keys_used(source).items():
                used.setdefault(key, []).extend(f"{source.name}/{w}" for w in where)
    assert used, "the scan found no t() calls at all"
    missing = {key: where for key, where in used.items() if key not in catalog()}
    assert not missing, f"keys used but not in any catalog: {missing}"


def key_prefixes_used(root: Path) -> dict[str, list[str]]:
    """Every `t(f"prefix.{...}")`: the literal prefix -> where (the rest is decided at run time)."""
    used: dict[str, list[str]] = {}
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "t"
                and node.args
                and isinstance(node.args[0], ast.JoinedStr)
                and node.args[0].values
                and isinstance(node.args[0].values[0], ast.Constant)
            ):
                prefix = str(node.args[0].values[0].value)
                used.setdefault(prefix, []).append(
                    f"{path.relative_to(root).as_posix()}:{node.lineno}"
                )
    return used


def test_every_computed_key_family_exists() -> None:
    """`t(f"shell.role.{role}")` needs at least one `shell.role.*` key (the UI tests check each)."""
    keys = catalog()
    for source in SOURCES:
        if source.is_dir():
            for prefix, where in key_prefixes_used(source).items():
                assert any(key.startswith(prefix) for key in keys), f"{prefix}* at {where}"


def test_the_scan_sees_a_missing_key(tmp_path: Path) -> None:
    (tmp_path / "mod.py").write_text('from x import t\nt("nowhere.key")\nt(name)\n', "utf-8")
    assert literal_keys_used(tmp_path) == {"nowhere.key": ["mod.py:2"]}


def test_t_fills_placeholders_in_the_chosen_language() -> None:
    before = current_language()
    try:
        set_language(Language.ENGLISH)
        assert t("common.not_available") == "not available"
        assert t("common.not_available", Language.CHINESE) == "不可用"
        set_language("zh")
        assert t("shell.status.queue_depth", depth=3) == "3 笔待发送"
        assert t("no.such.key") == "no.such.key"
    finally:
        set_language(before)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"LC_ALL": "zh_CN.UTF-8"}, Language.CHINESE),
        ({"LANG": "zh_TW.UTF-8"}, Language.CHINESE),
        ({"LANG": "en_US.UTF-8"}, Language.ENGLISH),
        ({"LC_ALL": "", "LANG": "zh_CN.GB18030"}, Language.CHINESE),
        ({"LC_MESSAGES": "C", "LANG": "zh_CN.UTF-8"}, Language.ENGLISH),
    ],
)
def test_language_from_locale(env: dict[str, str], expected: Language) -> None:
    assert language_from_locale(env) is expected


@pytest.mark.parametrize(
    ("system_locale", "expected"),
    [
        (("zh_CN", "UTF-8"), Language.CHINESE),
        (("Chinese (Simplified)_China", "936"), Language.CHINESE),  # Windows' name for it
        (("English_United States", "1252"), Language.ENGLISH),
        ((None, None), Language.ENGLISH),
    ],
)
def test_language_from_the_system_locale_when_no_variable_is_set(
    monkeypatch: pytest.MonkeyPatch,
    system_locale: tuple[str | None, str | None],
    expected: Language,
) -> None:
    monkeypatch.setattr("branch_app.i18n.locale.getlocale", lambda *args: system_locale)
    monkeypatch.setattr("branch_app.i18n.sys.platform", "linux")
    assert language_from_locale({}) is expected
