"""Configuration: defaults, the TOML file, environment overrides, and clear errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from branch_app import config as config_module
from branch_app.config import (
    AppConfig,
    ConfigError,
    DeviceKind,
    default_config_path,
    load_config,
)


@pytest.fixture(autouse=True)
def _no_user_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Never read the real user's file: point the platform path into the test's folder."""
    monkeypatch.setattr(config_module, "default_config_path", lambda: tmp_path / "absent.toml")


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_without_a_file_the_defaults_are_a_pilots_never_the_demos(
    tmp_path: Path, monkeypatch
) -> None:
    """A teller PC that lost its configuration reads real cards and talks to no central."""
    missing = tmp_path / "config.toml"
    monkeypatch.setattr(config_module, "default_config_path", lambda: missing)
    config = load_config(env={})
    assert config == AppConfig()
    assert config.source == "defaults" and config.file_path() == missing
    assert config.branch.device_kind is DeviceKind.COUNTER
    assert config.reader.simulated is False
    assert config.central.url == "" and not config.central.configured
    assert config.fees.replacement_fee_yuan == 20
    assert config.keymap == () and config.env_overrides == ()


def test_a_central_and_simulated_cards_are_chosen_explicitly(tmp_path: Path) -> None:
    path = write(tmp_path, '[reader]\nsimulated = true\n[central]\nurl = "http://127.0.0.1:8765"\n')
    config = load_config(path, env={})
    assert config.reader.simulated is True
    assert config.central.configured and config.file_path() == path


def test_file_values_overlay_the_defaults(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[branch]
code = "GZ-TH-017"
bank = "icbc"
instant_issuance = true
device_kind = "home_visit"

[ui]
language = "en"
theme = "branch-high-contrast"

[fees]
replacement_fee_yuan = 25

[keymap]
help = "f11"
language = "f5, ctrl+l"
""",
    )
    config = load_config(path, env={})
    assert config.source == str(path)
    assert config.branch.code == "GZ-TH-017"
    assert config.branch.instant_issuance is True
    assert config.branch.device_kind is DeviceKind.HOME_VISIT
    assert config.ui.language == "en"
    assert config.ui.theme == "branch-high-contrast"
    assert config.fees.replacement_fee_yuan == 25
    assert config.keymap_dict() == {"help": "f11", "language": "f5,ctrl+l"}
    assert config.reader == AppConfig().reader  # untouched sections keep their defaults


def test_environment_overrides_the_file(tmp_path: Path) -> None:
    path = write(
        tmp_path, '[central]\nurl = "https://central.example.cn"\n[keymap]\nhelp = "f11"\n'
    )
    env = {
        "BRANCH_APP_CENTRAL_URL": "https://other.example.cn",
        "BRANCH_APP_CENTRAL_TIMEOUT_SECONDS": "2.5",
        "BRANCH_APP_BRANCH_INSTANT_ISSUANCE": "yes",
        "BRANCH_APP_KEYMAP_HELP": "f12",
        "UNRELATED": "x",
    }
    config = load_config(path, env=env)
    assert config.central.url == "https://other.example.cn"
    assert config.central.timeout_seconds == 2.5
    assert config.branch.instant_issuance is True
    assert config.keymap_dict() == {"help": "f12"}
    assert config.env_overrides == tuple(sorted(k for k in env if k != "UNRELATED"))


def test_config_env_variable_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, '[branch]\ncode = "GZ-ENV-001"\n')
    config = load_config(env={"BRANCH_APP_CONFIG": str(path)})
    assert config.branch.code == "GZ-ENV-001"
    assert config.source == str(path)


def test_the_platform_path_is_read_when_present(tmp_path: Path, monkeypatch) -> None:
    path = write(tmp_path, '[store]\ndata_dir = "~/sscard"\n')
    monkeypatch.setattr(config_module, "default_config_path", lambda: path)
    config = load_config(env={})
    assert config.data_dir() == Path("~/sscard").expanduser()


@pytest.mark.parametrize(
    ("text", "env", "message"),
    [
        (
            '[branch]\ninstant_issuance = "maybe"\n',
            {},
            "branch.instant_issuance: 'maybe' is not true or false",
        ),
        ('[branch]\ndevice_kind = "tablet"\n', {}, "'tablet' is not one of counter, home_visit"),
        ('[branch]\ncolour = "red"\n', {}, "unknown setting 'colour'"),
        ('[scanner]\nname = "x"\n', {}, "unknown section [scanner]"),
        ('[ui]\nlanguage = "fr"\n', {}, "ui.language: 'fr' is not one of zh, en"),
        ("[ui]\nsession_timeout_minutes = 0\n", {}, "is not positive"),
        ('[fees]\nreplacement_fee_yuan = "twenty"\n', {}, "'twenty' is not a number"),
        ("[fees]\nreplacement_fee_yuan = -1\n", {}, "is negative"),
        ('[central]\nurl = "ftp://x"\n', {}, "does not start with http(s)://"),
        ('[branch]\ncode = " "\n', {}, "branch code must not be empty"),
        ('[keymap]\nhelp = ""\n', {}, "keymap.help"),
        ("[keymap]\nhelp = 5\n", {}, "keymap.help"),
        ("[branch\n", {}, "cannot read the configuration"),
        (
            "",
            {"BRANCH_APP_CENTRAL_TIMEOUT_SECONDS": "soon"},
            "$BRANCH_APP_CENTRAL_*.timeout_seconds",
        ),
        ("", {"BRANCH_APP_UI_NOPE": "1"}, "unknown setting 'nope'"),
        ("", {"BRANCH_APP_KEYMAP_HELP": "f1;"}, "is not a key"),
    ],
)
def test_bad_values_say_which_and_why(
    tmp_path: Path, text: str, env: dict[str, str], message: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path, env=env)
    assert message in str(caught.value)


def test_a_named_file_that_does_not_exist_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such configuration file"):
        load_config(tmp_path / "nope.toml", env={})


def test_default_path_comes_from_platformdirs() -> None:
    # `default_config_path` was imported before the fixture replaced the module's attribute.
    from platformdirs import user_config_dir

    expected = Path(user_config_dir("branch-app", appauthor=False)) / "config.toml"
    assert default_config_path() == expected


def test_config_module_does_not_import_textual() -> None:
    code = "import sys, branch_app.config; print('textual' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def test_the_receipt_printer_comes_from_the_file_or_the_environment(tmp_path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[printer]\nname = "counter-3"\nfolder = "/srv/receipts"\n', encoding="utf-8")
    config = load_config(path, env={})
    assert config.printer.name == "counter-3" and config.printer.folder == "/srv/receipts"
    assert load_config(path, env={"BRANCH_APP_PRINTER_NAME": "lobby"}).printer.name == "lobby"
