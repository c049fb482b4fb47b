"""Configuration: embedded defaults, then the TOML file, then environment variables.

The file lives at the platform's config path (`platformdirs`), e.g. `~/.config/branch-app/config.toml`
on Linux and `%LOCALAPPDATA%\\branch-app\\branch-app\\config.toml` on Windows. Any value can be
overridden by an environment variable `BRANCH_APP_<SECTION>_<KEY>` (for instance
`BRANCH_APP_CENTRAL_URL`); `BRANCH_APP_CONFIG` names another file. Defaults are the demo's: they
run the application against a local central service with a simulated card.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

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


@dataclass(frozen=True)
class ReaderConfig:
    #: PC/SC reader name (a substring is enough); empty: the first reader with a card.
    name: str = ""
    #: Reader holding the PSAM for 3rd-generation cards; empty: none.
    psam_name: str = ""
    #: Use the in-process simulated card instead of PC/SC (demo and training).
    simulated: bool = True


@dataclass(frozen=True)
class CentralConfig:
    url: str = "http://127.0.0.1:8765"
    verify_tls: bool = True
    timeout_seconds: float = 10.0
    #: Plain HTTP is refused except to loopback unless this is set.
    allow_insecure_http: bool = False


@dataclass(frozen=True)
class StoreConfig:
    #: Empty: the platform's user data directory.
    data_dir: str = ""
    archive_retention_months: int = 24


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
class AppConfig:
    branch: BranchProfile = field(default_factory=BranchProfile)
    reader: ReaderConfig = field(default_factory=ReaderConfig)
    central: CentralConfig = field(default_factory=CentralConfig)
    store: StoreConfig = field(default_factory=StoreConfig)
    ui: UiConfig = field(default_factory=UiConfig)
    fees: FeeConfig = field(default_factory=FeeConfig)
    #: Where the values came from (file path or "defaults"), for the help screen.
    source: str = "defaults"

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


def _apply(section: Any, values: Mapping[str, Any], where: str) -> Any:
    known = {f.name for f in fields(section)}
    updates: dict[str, Any] = {}
    for key, value in values.items():
        if key not in known:
            raise ConfigError(f"{where}: unknown setting {key!r}")
        updates[key] = _coerce(value, getattr(section, key), f"{where}.{key}")
    return replace(section, **updates)


def load_config(
    path: Path | None = None, env: Mapping[str, str] | None = None
) -> AppConfig:
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
        sections = {f.name for f in fields(AppConfig)} - {"source"}
        for name, values in data.items():
            if name not in sections or not isinstance(values, dict):
                raise ConfigError(f"{candidate}: unknown section [{name}]")
            config = replace(config, **{name: _apply(getattr(config, name), values, name)})
        config = replace(config, source=str(candidate))
    elif path is not None:
        raise ConfigError(f"{path}: no such configuration file")
    for name in (f.name for f in fields(AppConfig) if f.name != "source"):
        prefix = f"{ENV_PREFIX}{name.upper()}_"
        overrides = {
            key[len(prefix) :].lower(): value for key, value in env.items() if key.startswith(prefix)
        }
        if overrides:
            config = replace(
                config, **{name: _apply(getattr(config, name), overrides, f"${prefix}*")}
            )
    return config
