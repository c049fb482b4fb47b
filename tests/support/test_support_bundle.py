"""`branch-app support-bundle` against the real parts: a store holding made-up people, requests
taken through the counter, synced to the real central on 127.0.0.1 (and to a central that does
not answer), reader events from the simulated card, careless log calls; then the bundle, every
member of which must be free of the people's numbers, names, addresses, mobiles and card numbers
and of every secret. Also: a damaged store, a configuration that does not load, an output that
cannot be written, and a configuration's secrets."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import socket
import threading
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keyring
import pytest

from branch_app.cli import main
from branch_app.config import AppConfig, CentralConfig, load_config
from branch_app.domain.identity import IdentityKind, parse_identity, resident_check_character
from branch_app.domain.lifecycle import (
    Applicant,
    CardRecord,
    ChangeContact,
    Contact,
    Representative,
)
from branch_app.domain.vocabulary import (
    ApplicationKind,
    CardState,
    FunctionStatus,
    Place,
    Presenter,
    Role,
)
from branch_app.logbook import log_folder, log_reader_event
from branch_app.services.counter import Accepted, Counter, Desk
from branch_app.store import LocalStore, MemoryKeyring
from branch_app.store.crypto import anchor_username
from branch_app.support import config_without_secrets
from sync.client import CentralClient, Timeouts
from sync.engine import RetryPolicy, SyncEngine
from sync.service import SyncService

NOW = dt.datetime(2025, 3, 14, 10, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
BRANCH, TELLER, PASSWORD = "GZ-DEV-001", "T310", "teller-password-31"
QUICK = RetryPolicy(attempts=3, timeout=5, wait_initial=0.05, wait_max=0.2, wait_jitter=0.05)


def resident(area: str, born: dt.date, serial: int) -> str:
    first17 = f"{area}{born:%Y%m%d}{serial:03d}"
    return first17 + resident_check_character(first17)


@dataclass(frozen=True)
class Person:
    number: str
    name: str
    mobile: str
    address: str
    card: str = ""


#: Made-up people (valid check characters): a child with a guardian, a Hong Kong resident with
#: an agent who shows a passport, two card holders (a contact change, a loss report).
CHILD = Person(resident("440104", dt.date(2015, 6, 1), 8), "陈小明", "", "")
GUARDIAN = Person(resident("440104", dt.date(1985, 2, 3), 27), "陈志明", "13922334455", "")
HK_HOLDER = Person(resident("810000", dt.date(1990, 1, 1), 123), "Wong Ka Yan", "", "")
AGENT = Person("G12345678", "Chen Meiling", "", "")
MOVER = Person(
    resident("440106", dt.date(1980, 1, 1), 123),
    "王秀英",
    "13800138000",
    "广州市越秀区中山五路219号",
    card="X00000019",
)
LOSER = Person(
    resident("440103", dt.date(1958, 3, 15), 31),
    "Li Meiling",
    "13712345678",
    "Haizhu District, Xingang Road 135",
    card="A00000013",
)
PEOPLE = (CHILD, GUARDIAN, HK_HOLDER, AGENT, MOVER, LOSER)


def card_in_use(person: Person, contact: Contact | None = None) -> CardRecord:
    return CardRecord(
        holder_id=person.number,
        version=2,
        card_number=person.card,
        card_state=CardState.ACTIVE,
        social_security=FunctionStatus.NORMAL,
        financial=FunctionStatus.NORMAL,
        bank="icbc",
        generation=3,
        contact=contact,
    )


def squash(text: str) -> str:
    """Case and separators away, so that a spaced, hyphenated or lower-case copy is found."""
    return re.sub(r"[\s\-_.,/()（）]+", "", text).casefold()


def bundle_members(path: Path) -> dict[str, str]:
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name).decode("utf-8") for name in zf.namelist()}


def assert_absent(members: dict[str, str], forbidden: list[str]) -> None:
    for name, text in members.items():
        flat = squash(text)
        for value in forbidden:
            assert squash(value) not in flat, f"{name} holds {value[:3]}…"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_config(path: Path, data_dir: Path, central_url: str) -> Path:
    path.write_text(
        f'[branch]\ncode = "{BRANCH}"\nbank = "icbc"\n'
        f'[central]\nurl = "{central_url}"\ntimeout_seconds = 5.0\nauto_sync = false\n'
        f'[store]\ndata_dir = "{data_dir}"\n'
        '[ui]\nlanguage = "en"\n',
        encoding="utf-8",
    )
    return path


@pytest.fixture(scope="module")
def central() -> Any:
    from central.dev.server import start_central

    with start_central() as running:
        running.add_staff(TELLER, PASSWORD, role="teller", branch=BRANCH)
        yield running


@pytest.mark.slow
def test_the_bundle_holds_what_the_help_desk_needs_and_no_person(
    central: Any, tmp_path: Path, memory_keyring: MemoryKeyring, start_log, capsys
) -> None:
    data_dir = tmp_path / "data"
    config_file = write_config(tmp_path / "config.toml", data_dir, central.url)
    config = load_config(config_file)
    start_log(log_folder(config))  # as `branch-app` does at its start

    store = LocalStore.open(data_dir, keyring=memory_keyring)
    sync = SyncService(config, store, retry=QUICK)
    try:
        identity = sync.enrol(central.issue_enrolment_code(branch=BRANCH), "counter 1")
        session = sync.authenticator().login(TELLER, PASSWORD)
        sync.signed_in(session)
        desk = Desk(
            staff_id=TELLER,
            role=Role.TELLER,
            place=Place.BRANCH,
            branch=identity.branch,
            device=identity.device_id,
            bank="icbc",
            signer=session.signer,
        )
        counter = Counter(store, desk, clock=lambda: NOW)
        today = NOW.date()

        # Requests through the counter, each carrying personal data in its payload.
        store.card_cache.put(card_in_use(MOVER, Contact("13911112222", "广州市海珠区")))
        store.card_cache.put(card_in_use(LOSER, Contact(LOSER.mobile, LOSER.address)))
        guardian = Representative(IdentityKind.RESIDENT, GUARDIAN.number, GUARDIAN.name)
        agent = Representative(
            IdentityKind.PASSPORT, AGENT.number, AGENT.name, birth_date=dt.date(1970, 1, 1)
        )
        taken = [
            counter.apply(
                parse_identity(CHILD.number, today=today),
                ApplicationKind.FIRST,
                photo_receipt="GZ2025031400A7",
                applicant=Applicant(
                    presenter=Presenter.GUARDIAN,
                    guardianship_proof=True,
                    representative=guardian,
                ),
            ),
            counter.apply(
                parse_identity(HK_HOLDER.number, today=today),
                ApplicationKind.FIRST,
                photo_receipt="GZ2025031400B8",
                applicant=Applicant(presenter=Presenter.AGENT, representative=agent),
            ),
            counter.take(
                parse_identity(MOVER.number, today=today),
                ChangeContact(mobile=MOVER.mobile, address=MOVER.address),
                why="data_change:contact",
            ),
            counter.report_loss(parse_identity(LOSER.number, today=today)),
        ]
        assert all(isinstance(outcome, Accepted) for outcome in taken), taken

        # A central that does not answer: the run stops with its error code, logged.
        token = keyring.get_password("branch-app", f"device-token:{central.url}")
        assert token
        dead = CentralClient(
            f"http://127.0.0.1:{free_port()}",
            device_token=token,
            timeouts=Timeouts.uniform(1.0),
        )
        stopped = SyncEngine(store.outbox, dead, None, retry=QUICK).run()
        dead.close()
        assert not stopped.ok and not stopped.reached_central

        # The real central: applied, and the cards it has never seen come back refused.
        summary = sync.run()
        assert summary.reached_central and summary.answered == 4, summary

        # Careless log calls: the filter is the last line of defence for numbers and Chinese
        # text (a name in Latin letters it cannot tell from a word: that is never logged).
        careless = logging.getLogger("branch_app.counter")
        careless.error("lookup failed for %s %s (%s)", MOVER.number, MOVER.name, MOVER.mobile)
        try:
            raise ValueError(f"no card {LOSER.card} for {MOVER.name} at {MOVER.address}")
        except ValueError:
            careless.exception("unexpected answer for %s", LOSER.number)

        reading = read_the_simulated_card()
    finally:
        store_id = store.store_id
        sync.close()
        store.close()

    bundle = tmp_path / "out" / "support.zip"
    code = main(["--config", str(config_file), "support-bundle", "--output", str(bundle)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert f"Support bundle written to {bundle}" in out

    members = bundle_members(bundle)
    assert set(members) >= {
        "manifest.json",
        "versions.json",
        "config.json",
        "store-check.txt",
        "store-check.json",
        "device-state.json",
        "logs/branch-app.log",
    }
    # What the help desk needs is there.
    log_text = members["logs/branch-app.log"]
    assert "sync stopped: sync.error.refused" in log_text
    assert re.search(r"sync run: \d+ batches, 4 sent, outcomes \{.*applied: [12]", log_text)
    assert "card read (Simulated Reader 0)" in log_text
    assert (
        "lookup failed for [redacted]" in log_text and "ValueError: no card [redacted]" in log_text
    )
    check = json.loads(members["store-check.json"])
    assert check["exit_code"] == 0 and "audit journal is intact" in members["store-check.txt"]
    state = json.loads(members["device-state.json"])
    assert state["report"]["queue_depth"] == 0 and state["report"]["audit_head"]["n"] > 0
    assert state["enrolled"]["device_id"] == identity.device_id
    assert state["sync"]["last_sync_ok"] is not None
    versions = json.loads(members["versions.json"])
    assert versions["packages"]["textual"] and versions["python"]
    config_json = json.loads(members["config.json"])
    assert config_json["sections"]["central"]["url"] == central.url
    manifest = json.loads(members["manifest.json"])
    assert {m["name"] for m in manifest["members"]} == set(members) - {"manifest.json"}

    # No person, in any form.
    forbidden: list[str] = []
    for person in PEOPLE:
        forbidden += [person.number, person.number[:-1], person.name]
        forbidden += [v for v in (person.mobile, person.address, person.card) if v]
    forbidden += ["13911112222", "广州市海珠区", "Meiling", "Ka Yan"]
    forbidden += [reading.name, reading.social_security_number, reading.card_number]
    # No secret: the device token, the staff password and session, every keyring entry (but
    # the device's identity and the audit anchor: both go to the central at each sync).
    forbidden += [token, PASSWORD, session.session_token or PASSWORD]
    shared = ("device-info:", anchor_username(store_id))
    for (_service, entry), value in memory_keyring._secrets.items():
        if not entry.startswith(shared):
            forbidden += [v for v in re.findall(r"[A-Za-z0-9+/=_-]{20,}", value)]
    assert_absent(members, [v for v in forbidden if v])
    assert "Simulated Reader 0" in log_text  # the scan above is not vacuous
    assert squash(CHILD.number) not in squash(log_text)


def read_the_simulated_card() -> Any:
    """The reader service reads the simulated card; every event goes to the log as the card
    widget sends it. The reading (its holder's data) for the scan."""
    from branch_app.composition import SIMULATED_PSAM, backend_factory
    from branch_app.config import ReaderConfig
    from readers.service import CardRead, ReaderService

    service = ReaderService(
        backend_factory(ReaderConfig(simulated=True)), psam_reader=SIMULATED_PSAM
    )
    readings: list[Any] = []
    done = threading.Event()

    def on_event(event: object) -> None:
        log_reader_event(event)
        if isinstance(event, CardRead):
            readings.append(event.reading)
            done.set()

    worker = threading.Thread(target=service.run, args=(on_event, done.is_set), daemon=True)
    worker.start()
    assert done.wait(30), "the simulated card was never read"
    worker.join(10)
    return readings[0]


def test_a_damaged_store_and_an_unreachable_central_still_give_a_bundle(
    tmp_path: Path, memory_keyring: MemoryKeyring, capsys
) -> None:
    data_dir = tmp_path / "data"
    LocalStore.open(data_dir, keyring=memory_keyring).close()
    (data_dir / "outbox.json").write_bytes(b'{"_default": {"1": {"id": "cut short')
    config_file = write_config(
        tmp_path / "config.toml", data_dir, f"http://127.0.0.1:{free_port()}"
    )
    bundle = tmp_path / "bundle.zip"
    code = main(["--config", str(config_file), "support-bundle", "--output", str(bundle)])
    out = capsys.readouterr().out
    assert code == 1, out
    assert "written to" in out and "store check found a problem" in out
    members = bundle_members(bundle)
    check = json.loads(members["store-check.json"])
    assert check["exit_code"] == 1 and not check["ok"]
    assert "outbox.json" in members["store-check.txt"]
    state = json.loads(members["device-state.json"])
    assert "unavailable" in state["report"]
    assert json.loads(members["manifest.json"])["problems"] == ["store_check", "device_state"]


def test_a_configuration_that_does_not_load_is_named_and_the_rest_still_packed(
    tmp_path: Path, capsys
) -> None:
    broken = tmp_path / "config.toml"
    broken.write_text('[central]\nurl = "ftp://13800138000@central"\n', encoding="utf-8")
    bundle = tmp_path / "bundle.zip"
    code = main(["--config", str(broken), "support-bundle", "--output", str(bundle)])
    out = capsys.readouterr().out
    assert code == 1 and "configuration could not be read" in out
    members = bundle_members(bundle)
    config = json.loads(members["config.json"])
    assert "does not start with http" in config["error"]
    assert "13800138000" not in members["config.json"]
    assert "store-check.txt" in members and "versions.json" in members


def test_an_output_that_cannot_be_written_exits_2(tmp_path: Path, capsys) -> None:
    config_file = write_config(tmp_path / "config.toml", tmp_path / "data", "")
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    code = main(
        ["--config", str(config_file), "support-bundle", "--output", str(blocker / "b.zip")]
    )
    assert code == 2
    assert "could not be written" in capsys.readouterr().err
    assert not list(tmp_path.glob("**/.support-*"))


def test_the_configuration_goes_without_secrets() -> None:
    config = AppConfig(
        central=CentralConfig(
            url="https://branch:s3cret-pw@central.example.cn:8443/v1?token=abc123"
        )
    )
    shown = config_without_secrets(config)
    assert shown["sections"]["central"]["url"] == "https://central.example.cn:8443/v1"
    assert "s3cret" not in json.dumps(shown) and "abc123" not in json.dumps(shown)
    assert shown["sections"]["keymap"] == {} and "theme" in shown["sections"]["ui"]
