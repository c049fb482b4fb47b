"""`branch-app readers`, `card read`, `card watch`: in process on the simulated readers, and as a
subprocess of the venv's `branch-app` against the real pcscd with vpcd cards."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from branch_app import cli_card
from branch_app.cli import main
from branch_app.i18n import current_language, set_language
from readers.pcsc import PcscBackend
from readers.simulated import SimulatedCard, SimulatedPsam, card_models
from readers.vpcd import VPCD_PORTS, VpcdCard

from .conftest import CARD_READER, PSAM_READER, wait_card

BRANCH_APP = Path(sys.executable).with_name("branch-app")


@pytest.fixture(autouse=True)
def isolated_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No user config file leaks in; the language is restored afterwards."""
    monkeypatch.setenv("BRANCH_APP_CONFIG", str(tmp_path / "absent.toml"))
    (tmp_path / "absent.toml").write_text("", encoding="utf-8")
    monkeypatch.setenv("BRANCH_APP_STORE_DATA_DIR", str(tmp_path / "data"))
    for name in [k for k in os.environ if k.startswith("BRANCH_APP_READER_")]:
        monkeypatch.delenv(name)
    before = current_language()
    yield
    set_language(before)


def test_read_prints_masked_fields(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--language", "en", "card", "read", "--backend", "simulated"]) == 0
    out = capsys.readouterr().out
    assert "440104********0429" in out and "李**" in out
    assert "440104197211020429" not in out and "李秀英" not in out
    assert "2nd generation (2.00)" in out
    assert "simulated" in out


def test_read_json_in_chinese(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "--language",
            "zh",
            "card",
            "read",
            "--backend",
            "simulated",
            "--simulated-card",
            "gen1",
            "--json",
        ]
    )
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["generation"] == "1" and data["masked"] is True
    assert data["social_security_number"] == "440103********031X"


def test_failures_give_one_sentence_and_their_exit_status(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(
        [
            "--language",
            "zh",
            "card",
            "read",
            "--backend",
            "simulated",
            "--simulated-card",
            "bank_only",
        ]
    )
    assert code == 8
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["branch-app: 这不是社会保障卡：请插入持卡人的社会保障卡。"]
    assert (
        main(["--language", "en", "card", "read", "--backend", "simulated", "--reader", "Gemalto"])
        == 4
    )
    assert "Gemalto" in capsys.readouterr().err


def test_unmasked_needs_a_reason(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--language", "en", "card", "read", "--backend", "simulated", "--unmasked"]) == 2
    assert "--reason" in capsys.readouterr().err


def test_unmasked_with_a_reason_is_audited_before_it_is_shown(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    recorded: list[tuple[str | None, str]] = []

    def audit(config, reading, reason):  # type: ignore[no-untyped-def]
        recorded.append((reading.social_security_number, reason))
        return None

    monkeypatch.setattr(cli_card, "audit_unmasked", audit)
    args = ["--language", "en", "card", "read", "--backend", "simulated", "--unmasked"]
    assert main([*args, "--reason", "holder asked for a printout"]) == 0
    assert "440104197211020429" in capsys.readouterr().out
    assert recorded == [("440104197211020429", "holder asked for a printout")]

    monkeypatch.setattr(cli_card, "audit_unmasked", lambda *a: "journal locked")
    assert main([*args, "--reason", "x"]) == 1
    captured = capsys.readouterr()
    assert "440104197211020429" not in captured.out
    assert "journal locked" in captured.err


def test_readers_lists_the_simulated_slots(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--language", "en", "readers", "--backend", "simulated"]) == 0
    out = capsys.readouterr().out
    assert "Simulated Reader 0: card present" in out


def test_watch_stops_after_its_events(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "--language",
            "en",
            "card",
            "watch",
            "--backend",
            "simulated",
            "--events",
            "1",
            "--timeout",
            "10",
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "Card inserted in Simulated Reader 0." in out
    assert "440104********0429" in out


# -- the real stack, as a subprocess -------------------------------------------------------------


def run_cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, BRANCH_APP_READER_SIMULATED="false", PYTHONIOENCODING="utf-8")
    return subprocess.run(
        [str(BRANCH_APP), "--language", "en", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )


@pytest.fixture
def pcsc_backend(pcscd: object) -> Iterator[PcscBackend]:
    backend = PcscBackend()
    yield backend
    for reader in (CARD_READER, PSAM_READER):
        wait_card(backend, reader, False)
    backend.close()


@pytest.mark.pcscd
def test_cli_against_pcscd(pcsc_backend: PcscBackend) -> None:
    listed = run_cli("readers")
    assert listed.returncode == 0, listed.stderr
    assert f"{CARD_READER}: no card" in listed.stdout

    empty = run_cli("card", "read", "--reader", CARD_READER)
    assert empty.returncode == 5
    assert (
        empty.stderr.strip()
        == "branch-app: There is no card in the reader: insert the social security card."
    )

    psam = VpcdCard(SimulatedPsam(), port=VPCD_PORTS[1])
    card = VpcdCard(SimulatedCard(card_models()["gen3_psam"]), port=VPCD_PORTS[0])
    psam.insert()
    card.insert()
    try:
        wait_card(pcsc_backend, CARD_READER, True)
        wait_card(pcsc_backend, PSAM_READER, True)
        read = run_cli("card", "read", "--psam", PSAM_READER, "--json", "--bank")
        assert read.returncode == 0, read.stderr
        data = json.loads(read.stdout)
        assert data["reader"] == CARD_READER
        assert data["authenticated"] is True
        assert data["social_security_number"] == "440106********1537"
        assert data["bank_pan_masked"] == "621700*********6543"
        assert data["simulated"] is False
    finally:
        card.remove()
        psam.remove()


@pytest.mark.pcscd
def test_cli_watch_against_pcscd(pcsc_backend: PcscBackend) -> None:
    env = dict(os.environ, BRANCH_APP_READER_SIMULATED="false", PYTHONIOENCODING="utf-8")
    watcher = subprocess.Popen(
        [str(BRANCH_APP), "--language", "en", "card", "watch", "--events", "2", "--timeout", "30"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    card = VpcdCard(SimulatedCard(card_models()["gen1"]), port=VPCD_PORTS[0])
    try:
        assert watcher.stdout is not None
        lines = [watcher.stdout.readline()]  # "Watching ..." once the loop is about to start
        assert "Watching" in lines[0]
        deadline = time.monotonic() + 20
        while not any(f"Reader connected: {CARD_READER}" in line for line in lines):
            assert time.monotonic() < deadline
            lines.append(watcher.stdout.readline())
        card.insert()
        while not any("Card read in" in line for line in lines):
            assert time.monotonic() < deadline
            lines.append(watcher.stdout.readline())
        card.remove()
        out, err = watcher.communicate(timeout=20)
        lines += out.splitlines()
    finally:
        card.remove()
        if watcher.poll() is None:
            watcher.kill()
            watcher.communicate()
    assert watcher.returncode == 0, err
    text = "\n".join(lines)
    assert f"Card inserted in {CARD_READER}." in text
    assert "card number A00000011, holder 陈** 440103********031X" in text
    assert f"Card removed from {CARD_READER}." in text


def test_cli_without_the_pcsc_service(tmp_path: Path) -> None:
    """pcscd unreachable (its socket elsewhere): exit 3 with one sentence, in either language."""
    env = dict(
        os.environ,
        BRANCH_APP_READER_SIMULATED="false",
        PCSCLITE_CSOCK_NAME=str(tmp_path / "no-pcscd.comm"),
        PYTHONIOENCODING="utf-8",
    )
    for language, sentence in (
        ("en", "The smart card service (PC/SC) is not running: start it, or ask support to."),
        ("zh", "智能卡服务（PC/SC）未运行：请启动该服务或联系技术支持。"),
    ):
        for command in (["card", "read"], ["readers"]):
            done = subprocess.run(
                [str(BRANCH_APP), "--language", language, *command],
                capture_output=True,
                text=True,
                timeout=60,
                env=env,
                check=False,
            )
            assert done.returncode == 3, done.stderr
            assert done.stderr.strip() == f"branch-app: {sentence}"
