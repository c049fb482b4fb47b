"""User-visible text in Simplified Chinese and English.

Each area of the application keeps its own catalog module in `branch_app.i18n.catalogs`, so that
parts written independently never edit one shared file. A catalog module defines

    MESSAGES: dict[str, tuple[str, str]]   # key -> (English, 简体中文)

Keys are dotted (`shell.title`, `reader.no_card`). Text may hold `{name}` placeholders, filled by
`t(key, name=...)`. A test checks that every key has both languages with the same placeholders and
that every `t("...")` literal in the code names a key that exists.
"""

from __future__ import annotations

import importlib
import locale
import os
import pkgutil
import sys
from collections.abc import Mapping
from enum import StrEnum


class Language(StrEnum):
    ENGLISH = "en"
    CHINESE = "zh"


_current: Language = Language.CHINESE
_catalog: dict[str, tuple[str, str]] | None = None


def load_catalog() -> dict[str, tuple[str, str]]:
    """Merge every catalog module; a key defined twice is a programming error."""
    from branch_app.i18n import catalogs

    merged: dict[str, tuple[str, str]] = {}
    for info in sorted(pkgutil.iter_modules(catalogs.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{catalogs.__name__}.{info.name}")
        messages: Mapping[str, tuple[str, str]] = module.MESSAGES
        for key, pair in messages.items():
            if key in merged:
                raise RuntimeError(f"message key {key!r} defined twice (again in {info.name})")
            merged[key] = pair
    return merged


def catalog() -> dict[str, tuple[str, str]]:
    global _catalog
    if _catalog is None:
        _catalog = load_catalog()
    return _catalog


def set_language(language: Language | str) -> None:
    global _current
    _current = Language(language)


def current_language() -> Language:
    return _current


def _names_chinese(code: str) -> bool:
    """`zh_CN.UTF-8`, `zh-Hans`, and Windows' `Chinese (Simplified)_China` all name Chinese."""
    lowered = code.strip().lower()
    return lowered.startswith(("zh", "chinese"))


def _windows_ui_is_chinese() -> bool | None:  # pragma: no cover - Windows only
    """The Windows display language (what the teller reads every day), if it can be asked."""
    try:
        import ctypes

        language_id = ctypes.windll.kernel32.GetUserDefaultUILanguage()  # type: ignore[attr-defined]
    except (AttributeError, OSError):
        return None
    return (language_id & 0x3FF) == 0x04  # LANG_CHINESE, whatever the sub-language


def language_from_locale(env: Mapping[str, str] | None = None) -> Language:
    """Chinese when the system locale says zh, English otherwise.

    The POSIX variables win when set (LC_ALL, LC_MESSAGES, LANG, LANGUAGE); then, on Windows, the
    display language; then Python's locale, whose Windows names read `Chinese (Simplified)_China`.
    """
    env = os.environ if env is None else env
    for var in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = env.get(var, "")
        if value:
            return Language.CHINESE if _names_chinese(value) else Language.ENGLISH
    if sys.platform == "win32":  # pragma: no cover - Windows only
        chinese = _windows_ui_is_chinese()
        if chinese is not None:
            return Language.CHINESE if chinese else Language.ENGLISH
    try:
        code = locale.getlocale()[0] or ""
    except ValueError:  # pragma: no cover - unusual locale settings
        code = ""
    return Language.CHINESE if _names_chinese(code) else Language.ENGLISH


def t(key: str, /, language: Language | str | None = None, **params: object) -> str:
    """The text for `key` in the current (or given) language.

    An unknown key shows itself rather than crashing the counter; the catalog test keeps that
    from ever shipping.
    """
    pair = catalog().get(key)
    if pair is None:
        return key
    lang = Language(language) if language is not None else _current
    text = pair[1] if lang is Language.CHINESE else pair[0]
    return text.format(**params) if params else text


def for_place(key: str, place: object) -> str:
    """The key of `key`'s words at a place (`<key>@<place>`, e.g. `@home_visit`) when a catalog
    words it differently there, else `key`: a home visit's screens say "at the holder's home"
    where the counter's say "at the counter"."""
    if place is None:
        return key
    placed = f"{key}@{place}"
    return placed if placed in catalog() else key
