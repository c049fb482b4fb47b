"""`branch-app config show|path`, and a bad configuration reported in one sentence, not a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

from branch_app.cli import main, render_config
from branch_app.config import AppConfig, load_config


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("BRANCH_APP_")}
    full_env.update(env)
    return subprocess.run(
        [sys.executable, "-m", "branch_app", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=60,
        check=False,
    )


def test_config_show_prints_toml_that_reads_back(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[branch]\ncode = "GZ-CLI-009"\n[keymap]\nhelp = "f11"\n', encoding="utf-8")
    result = run_cli("--config", str(path), "config", "show", env={"BRANCH_APP_UI_THEME": "x"})
    assert result.returncode == 0, result.stderr
    assert f"# read from: {path}" in result.stdout
    assert "# environment: BRANCH_APP_UI_THEME" in result.stdout
    shown = tomllib.loads(result.stdout)
    assert shown["branch"]["code"] == "GZ-CLI-009"
    assert shown["ui"]["theme"] == "x"
    assert shown["keymap"] == {"help": "f11"}


def test_rendered_defaults_load_back_to_the_same_config(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(render_config(AppConfig()), encoding="utf-8")
    loaded = load_config(path, env={})
    assert loaded.branch == AppConfig().branch and loaded.ui == AppConfig().ui
    assert loaded.central == AppConfig().central and loaded.fees == AppConfig().fees


def test_config_path_follows_the_option_and_the_environment(tmp_path: Path) -> None:
    named = tmp_path / "named.toml"
    assert run_cli("--config", str(named), "config", "path", env={}).stdout.strip() == str(named)
    from_env = tmp_path / "env.toml"
    result = run_cli("config", "path", env={"BRANCH_APP_CONFIG": str(from_env)})
    assert result.stdout.strip() == str(from_env)


def test_bad_configuration_is_one_sentence_and_exit_code_2(tmp_path: Path, capsys) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[ui]\nlanguage = "fr"\n', encoding="utf-8")
    assert main(["--config", str(path), "--language", "en"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("branch-app: configuration error: ")
    assert "ui.language: 'fr' is not one of zh, en" in err
    assert "Traceback" not in err
    assert main(["--config", str(path), "--language", "zh", "config", "show"]) == 2
    assert capsys.readouterr().err.startswith("branch-app: 配置错误：")
