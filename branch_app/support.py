"""`branch-app support-bundle`: one archive for the help desk, without personal data.

The zip holds what the help desk asks first: the versions (`versions.json`), the configuration
without secrets (`config.json`), the result of the very check `branch-app store check` runs
(`store-check.txt` as printed, `store-check.json` with its exit code), the rotating log
(`logs/`), what the device reports to the central (`device-state.json`: counts and times) and a
`manifest.json` naming each member with its size and SHA-256.

It is written when things are broken, so no part may stop the rest: an unreachable central is
never asked (nothing here goes on the network), a damaged or locked store is what the check's
result says, a configuration that does not load is named and the defaults stand in. Every text
member passes `logbook.redact` before it is packed (the log was redacted when written; this is
the last line of defence for the rest), and no secret is read: the device token stays in the
keyring, and the configuration's keys that name one are dropped.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import json
import os
import platform
import re
import sys
import tempfile
import zipfile
from argparse import Namespace
from dataclasses import asdict, dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from branch_app.logbook import flush_log, log_files, log_folder, redact

if TYPE_CHECKING:
    from branch_app.config import AppConfig

BUNDLE_FORMAT = 1
#: The distributions whose versions the help desk needs (pyscard: the PC/SC binding).
PACKAGES = ("gz-sscard-branch", "textual", "tinydb", "httpx", "pyscard")
#: A configuration key naming one of these is a secret and never goes into the bundle.
_SECRET_KEY = re.compile(r"token|password|passwd|secret|private|credential|(^|_)key$", re.I)


class SupportProblem:
    """Codes of what the bundle found wrong (`Bundle.problems`; texts: `support.problem.*`)."""

    CONFIG = "config_error"
    STORE_CHECK = "store_check"
    DEVICE_STATE = "device_state"


@dataclass(frozen=True)
class Bundle:
    """The archive written and the problems it records (codes of `SupportProblem`)."""

    path: Path
    members: tuple[str, ...]
    problems: tuple[str, ...] = ()


@dataclass
class _Contents:
    members: dict[str, bytes] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def text(self, name: str, text: str) -> None:
        self.members[name] = redact(text).encode("utf-8")

    def json(self, name: str, data: Any) -> None:
        self.text(name, json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n")


def default_output(now: dt.datetime | None = None) -> Path:
    """`branch-app-support-<local time>.zip` in the current folder."""
    now = now or dt.datetime.now().astimezone()
    return Path.cwd() / f"branch-app-support-{now:%Y%m%d-%H%M%S}.zip"


def write_bundle(
    output: Path,
    config: AppConfig,
    *,
    config_error: str | None = None,
    config_file: str | None = None,
    data_dir: Path | None = None,
) -> Bundle:
    """Collect everything and write the zip at `output` (atomically: whole or not at all).

    `config_error`: why the configuration did not load (`config` is then the defaults);
    `config_file`: the file named on the command line, for the store check's own reading.
    Raises OSError only when the archive itself cannot be written."""
    data_dir = data_dir or config.data_dir()
    contents = _Contents()
    contents.json("versions.json", versions())
    contents.json("config.json", config_without_secrets(config, config_error))
    if config_error is not None:
        contents.problems.append(SupportProblem.CONFIG)
    _store_check(contents, config_file, data_dir)
    _device_state(contents, config, data_dir)
    _logs(contents, config)
    manifest = _manifest(contents)
    contents.members["manifest.json"] = manifest
    _write_zip(output, contents.members)
    return Bundle(output, tuple(contents.members), tuple(contents.problems))


# -- the parts ------------------------------------------------------------------------------------


def versions() -> dict[str, Any]:
    """The application, Python, the libraries that matter and the operating system."""
    from importlib.metadata import PackageNotFoundError, version

    found: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = None
    return {
        "packages": found,
        "python": sys.version.split()[0],
        "python_implementation": platform.python_implementation(),
        "os": platform.platform(),
        "machine": platform.machine(),
    }


def config_without_secrets(config: AppConfig, error: str | None = None) -> dict[str, Any]:
    """The effective configuration by section, minus anything that names a secret; the
    central's URL without user, password or query. `error`: why the file did not load."""
    sections: dict[str, Any] = {}
    for f in fields(config):
        value = getattr(config, f.name)
        if f.name == "keymap":
            sections["keymap"] = dict(value)
        elif is_dataclass(value):
            sections[f.name] = {
                inner.name: _plain(getattr(value, inner.name))
                for inner in fields(value)
                if not _SECRET_KEY.search(inner.name)
            }
    central = sections.get("central")
    if isinstance(central, dict) and central.get("url"):
        central["url"] = _url_without_credentials(str(central["url"]))
    return {
        "source": config.source,
        "environment_overrides": list(config.env_overrides),
        "error": error,
        "sections": sections,
    }


def _plain(value: Any) -> Any:
    return value if isinstance(value, bool | int | float | str) or value is None else str(value)


def _url_without_credentials(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def _store_check(contents: _Contents, config_file: str | None, data_dir: Path) -> None:
    """The check `branch-app store check` runs, as it prints it (in English, for the help
    desk), and its exit code."""
    from branch_app.i18n import current_language, set_language
    from branch_app.store.cli import run_check

    language = current_language()
    out = io.StringIO()
    args = Namespace(config=config_file, language="en", data_dir=str(data_dir))
    try:
        with contextlib.redirect_stdout(out):
            code = run_check(args)
        failure = None
    except Exception as exc:  # the check itself broke: say how, go on with the rest
        code, failure = 2, type(exc).__name__
    finally:
        set_language(language)
    printed = out.getvalue()
    contents.text("store-check.txt", printed + (f"check failed: {failure}\n" if failure else ""))
    contents.json(
        "store-check.json",
        {
            "command": "branch-app store check",
            "data_dir": str(data_dir),
            "exit_code": code,
            "ok": code == 0,
            "failure": failure,
            "lines": printed.splitlines(),
        },
    )
    if code != 0:
        contents.problems.append(SupportProblem.STORE_CHECK)


def _device_state(contents: _Contents, config: AppConfig, data_dir: Path) -> None:
    """What the device reports to the central at each sync (counts and times), what the sync
    remembers, and which device this is; each part may be unavailable, with the reason."""
    state: dict[str, Any] = {"data_dir": str(data_dir)}
    try:
        from sync.state import SyncState

        state["sync"] = asdict(SyncState.in_folder(data_dir).memory)
    except Exception as exc:
        state["sync"] = {"unavailable": type(exc).__name__}
    state["enrolled"] = _enrolment(config)
    if not (data_dir / "store.json").exists():  # never create a store (and its key) here
        state["report"] = {"unavailable": "no_store"}
    else:
        try:
            state["report"] = _state_report(config, data_dir)
        except Exception as exc:  # locked by the running app, damaged, no keyring
            state["report"] = {"unavailable": type(exc).__name__}
            contents.problems.append(SupportProblem.DEVICE_STATE)
    contents.json("device-state.json", state)


def _state_report(config: AppConfig, data_dir: Path) -> dict[str, Any]:
    from branch_app.store import LocalStore
    from sync.service import SyncService

    with LocalStore.open(data_dir, inspect=True) as store:
        report = SyncService(config, store).state_report()
    return dict(report.model_dump(mode="json"))


def _enrolment(config: AppConfig) -> dict[str, Any]:
    """Whether this device is enrolled with the configured central, and as which device (the
    identity only: the token is never read)."""
    if not config.central.configured:
        return {"central": False}
    try:
        from sync.auth import enrolled_device

        device = enrolled_device(config.central.url)
    except Exception as exc:
        return {"central": True, "unavailable": type(exc).__name__}
    if device is None:
        return {"central": True, "enrolled": False}
    return {
        "central": True,
        "enrolled": True,
        "device_id": device.device_id,
        "branch": device.branch,
        "place": str(device.place),
    }


def _logs(contents: _Contents, config: AppConfig) -> None:
    flush_log()
    try:
        files = log_files(log_folder(config))
    except Exception:  # no data folder to be found: no log either
        files = []
    for path in files:
        try:
            text = path.read_bytes().decode("utf-8", errors="replace")
        except OSError:
            continue
        contents.text(f"logs/{path.name}", text)


def _manifest(contents: _Contents) -> bytes:
    from sync.service import app_version

    manifest = {
        "format": BUNDLE_FORMAT,
        "what": "branch-app support bundle (no personal data)",
        "created_at": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "app_version": app_version(),
        "problems": contents.problems,
        "members": [
            {"name": name, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
            for name, data in contents.members.items()
        ],
    }
    return (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode("utf-8")


def _write_zip(output: Path, members: dict[str, bytes]) -> None:
    output.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".support-", suffix=".zip", dir=output.parent)
    try:
        with os.fdopen(handle, "wb") as raw, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, data in members.items():
                zf.writestr(name, data)
        os.replace(temporary, output)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
