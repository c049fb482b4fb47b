"""Configuration: embedded defaults, then the TOML file, then environment variables.

The file lives at the platform's config path (`platformdirs`), e.g. `~/.config/branch-app/config.toml`
on Linux and `%LOCALAPPDATA%\\branch-app\\branch-app\\config.toml` on Windows. Any value can be
overridden by an environment variable `BRANCH_APP_<SECTION>_<KEY>` (for instance
`BRANCH_APP_CENTRAL_URL`); `BRANCH_APP_CONFIG` names another file. The defaults are safe for a
pilot, never the demo's: real PC/SC readers and no central (the application says so, and staff
cannot sign in, until `[central] url` is set). Only `branch-app demo` and tests choose simulated
cards and a loopback central, explicitly.

A `[keymap]` section maps key binding ids to keys (`help = "f1"`, `language = "f5,ctrl+l"`); the
help screen (F1) lists the ids. `BRANCH_APP_KEYMAP_<ID>` overrides one binding.

This module must not import textual: the CLI reads the configuration before any UI exists.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

from branch_app.domain.vocabulary import Place

APP_NAME = "branch-app"
ENV_PREFIX = "BRANCH_APP_"


class DeviceKind(StrEnum):
    COUNTER = "counter"  # a teller's PC at a branch counter
    HOME_VISIT = "home_visit"  # a laptop taken to people's homes, offline for hours


class ConfigError(ValueError):
    """The configuration file or an override is unusable; the message says which value and why."""


@dataclass(frozen=True)
class BranchProfile:
    code: str = "GZ-DEMO-001"
    bank: str = "demo-bank"
    instant_issuance: bool = False
    device_kind: DeviceKind = DeviceKind.COUNTER

    @property
    def place(self) -> Place:
        """Where this device works, in the domain's words."""
        if self.device_kind is DeviceKind.HOME_VISIT:
            return Place.HOME_VISIT
        return Place.INSTANT_BRANCH if self.instant_issuance else Place.BRANCH


@dataclass(frozen=True)
class ReaderConfig:
    #: PC/SC reader name (a substring is enough); empty: the first reader with a card.
    name: str = ""
    #: Reader holding the PSAM for 3rd-generation cards; empty: none.
    psam_name: str = ""
    #: Use the in-process simulated card instead of PC/SC (demo, training and tests only).
    simulated: bool = False


@dataclass(frozen=True)
class CentralConfig:
    #: The central card service, e.g. "https://central.example.cn"; empty: none configured.
    url: str = ""
    verify_tls: bool = True
    timeout_seconds: float = 10.0
    #: Plain HTTP is refused except to loopback unless this is set.
    allow_insecure_http: bool = False
    #: Send waiting requests by themselves whenever the central answers (checked every 30 s and
    #: after each accepted request); off: only "Sync now" and `branch-app sync` send.
    auto_sync: bool = True

    @property
    def configured(self) -> bool:
        """Whether a central is named at all (without one, nobody can sign in)."""
        return bool(self.url.strip())


@dataclass(frozen=True)
class StoreConfig:
    #: Empty: the platform's user data directory.
    data_dir: str = ""
    archive_retention_months: int = 24
    #: Days a home visit's list (names, addresses, who was present; encrypted) is kept after its
    #: day: the requests themselves live on in the outbox, its archive and the audit journal.
    visit_retention_days: int = 30
    #: The rotating log (no personal data, `branch_app.logbook`); empty: `logs` in the data folder.
    log_dir: str = ""


@dataclass(frozen=True)
class UiConfig:
    #: "zh", "en", or empty for the system locale.
    language: str = ""
    theme: str = "textual-dark"
    session_timeout_minutes: int = 15


@dataclass(frozen=True)
class FeeConfig:
    replacement_fee_yuan: int = 20


@dataclass(frozen=True)
class PrinterConfig:
    #: The receipt printer: a CUPS queue name on Linux (`lp -d`); empty: the system's default.
    name: str = ""
    #: Where receipt and end-of-day PDFs are saved; empty: `receipts` in the data folder.
    folder: str = ""


@dataclass(frozen=True)
class AppConfig:
    branch: BranchProfile = field(default_factory=BranchProfile)
    reader: ReaderConfig = field(default_factory=ReaderConfig)
    central: CentralConfig = field(default_factory=CentralConfig)
    store: StoreConfig = field(default_factory=StoreConfig)
    ui: UiConfig = field(default_factory=UiConfig)
    fees: FeeConfig = field(default_factory=FeeConfig)
    printer: PrinterConfig = field(default_factory=PrinterConfig)
    #: Binding id -> keys ("f5" or "f5,ctrl+l"), applied with Textual's `App.set_keymap`.
    keymap: tuple[tuple[str, str], ...] = ()
    #: Where the values came from (file path or "defaults"), for the help screen.
    source: str = "defaults"
    #: The environment variables that overrode a value, for the help screen.
    env_overrides: tuple[str, ...] = ()

    def keymap_dict(self) -> dict[str, str]:
        return dict(self.keymap)

    def file_path(self) -> Path:
        """The configuration file these values came from, or the one that would be read."""
        return Path(self.source) if self.source != "defaults" else default_config_path()

    def data_dir(self) -> Path:
        if self.store.data_dir:
            return Path(self.store.data_dir).expanduser()
        from platformdirs import user_data_dir

        return Path(user_data_dir(APP_NAME, appauthor=False))


def default_config_path() -> Path:
    from platformdirs import user_config_dir

    return Path(user_config_dir(APP_NAME, appauthor=False)) / "config.toml"


def _coerce(value: Any, target: Any, where: str) -> Any:
    kind = type(target)
    if isinstance(target, StrEnum):
        try:
            return kind(value)
        except ValueError:
            allowed = ", ".join(m.value for m in kind)
            raise ConfigError(f"{where}: {value!r} is not one of {allowed}") from None
    if isinstance(target, bool):
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in {"1", "true", "yes", "on"}:
            return True
        if text in {"0", "false", "no", "off"}:
            return False
        raise ConfigError(f"{where}: {value!r} is not true or false")
    if isinstance(target, int | float):
        try:
            return kind(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{where}: {value!r} is not a number") from None
    return str(value)


_SECTIONS = ("branch", "reader", "central", "store", "ui", "fees", "printer")
_KEY_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_+-,")


def _keymap_entry(binding_id: str, keys: Any, where: str) -> tuple[str, str]:
    """One `[keymap]` entry, checked enough that a typo is reported rather than silently ignored."""
    if not isinstance(keys, str) or not keys.strip():
        raise ConfigError(f'{where}.{binding_id}: {keys!r} is not a key such as "f5" or "ctrl+l"')
    normalized = ",".join(part.strip() for part in keys.split(","))
    if not set(normalized.lower()) <= _KEY_CHARS or "" in normalized.split(","):
        raise ConfigError(f'{where}.{binding_id}: {keys!r} is not a key such as "f5" or "ctrl+l"')
    return binding_id.lower(), normalized


def _apply(section: Any, values: Mapping[str, Any], where: str) -> Any:
    known = {f.name for f in fields(section)}
    updates: dict[str, Any] = {}
    for key, value in values.items():
        if key not in known:
            raise ConfigError(f"{where}: unknown setting {key!r}")
        updates[key] = _coerce(value, getattr(section, key), f"{where}.{key}")
    return replace(section, **updates)


def load_config(path: Path | None = None, env: Mapping[str, str] | None = None) -> AppConfig:
    """Defaults, overlaid with the TOML file (if any), overlaid with environment variables."""
    env = os.environ if env is None else env
    config = AppConfig()
    if path is None and env.get(f"{ENV_PREFIX}CONFIG"):
        path = Path(env[f"{ENV_PREFIX}CONFIG"])
    candidate = path or default_config_path()
    if candidate.is_file():
        try:
            data = tomllib.loads(candidate.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"{candidate}: cannot read the configuration: {exc}") from None
        for name, values in data.items():
            if name not in (*_SECTIONS, "keymap") or not isinstance(values, dict):
                raise ConfigError(f"{candidate}: unknown section [{name}]")
            if name == "keymap":
                entries = dict(config.keymap)
                entries.update(_keymap_entry(k, v, "keymap") for k, v in values.items())
                config = replace(config, keymap=tuple(sorted(entries.items())))
                continue
            config = replace(config, **{name: _apply(getattr(config, name), values, name)})
        config = replace(config, source=str(candidate))
    elif path is not None:
        raise ConfigError(f"{path}: no such configuration file")
    used: list[str] = []
    for name in _SECTIONS:
        prefix = f"{ENV_PREFIX}{name.upper()}_"
        overrides = {
            key[len(prefix) :].lower(): value
            for key, value in env.items()
            if key.startswith(prefix)
        }
        if overrides:
            config = replace(
                config, **{name: _apply(getattr(config, name), overrides, f"${prefix}*")}
            )
            used.extend(key for key in env if key.startswith(prefix))
    keymap_prefix = f"{ENV_PREFIX}KEYMAP_"
    keymap_env = {k: v for k, v in env.items() if k.startswith(keymap_prefix)}
    if keymap_env:
        entries = dict(config.keymap)
        entries.update(
            _keymap_entry(k[len(keymap_prefix) :], v, f"${keymap_prefix}*")
            for k, v in keymap_env.items()
        )
        config = replace(config, keymap=tuple(sorted(entries.items())))
        used.extend(keymap_env)
    config = replace(config, env_overrides=tuple(sorted(used)))
    _check_values(config)
    return config


def _check_values(config: AppConfig) -> None:
    """Values whose type is right but whose meaning is not: say which and why, at start-up."""
    if config.ui.language not in ("", "zh", "en"):
        raise ConfigError(f"ui.language: {config.ui.language!r} is not one of zh, en (or empty)")
    if not config.branch.code.strip():
        raise ConfigError("branch.code: the branch code must not be empty")
    if config.central.configured and not config.central.url.startswith(("http://", "https://")):
        raise ConfigError(f"central.url: {config.central.url!r} does not start with http(s)://")
    if config.central.timeout_seconds <= 0:
        raise ConfigError(
            f"central.timeout_seconds: {config.central.timeout_seconds} is not positive"
        )
    if config.ui.session_timeout_minutes <= 0:
        raise ConfigError(
            f"ui.session_timeout_minutes: {config.ui.session_timeout_minutes} is not positive"
        )
    if config.fees.replacement_fee_yuan < 0:
        raise ConfigError(
            f"fees.replacement_fee_yuan: {config.fees.replacement_fee_yuan} is negative"
        )
    if config.store.visit_retention_days < 0:
        raise ConfigError(
            f"store.visit_retention_days: {config.store.visit_retention_days} is negative"
        )
    if config.store.archive_retention_months < 0:
        raise ConfigError(
            f"store.archive_retention_months: {config.store.archive_retention_months} is negative"
        )
