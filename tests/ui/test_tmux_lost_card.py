"""Issue 13's lost-card story in a real terminal, against a central on loopback.

A card is reported lost at branch A (GZ-DEMO-002): a second enrolled device, driven through the
real sync engine, because A's part of the story is one request and nothing on A's screen is
under test. The holder finds the card and comes to branch B (GZ-DEMO-001, the demo's branch),
whose app runs in tmux (`tests.ui.tmux_story`) and reaches the central only through a proxy the
test cuts (`CuttableProxy`): the central keeps serving the other channels meanwhile, which
stopping it would not. The teller records the unlock with the found card's number typed from
its face (a card already in the reader when the screen opens is the customer, not a new
reading). Meanwhile a relative reports the card lost again online (the central's channel
endpoint). B's line comes back and the app syncs by itself; the central answers the unlock with
a conflict (before this story, it thawed the card silently: central/service.py `_lost_after`);
B's supervisor logs in, finds it on the conflicts screen and corrects it with the unlock made
again after asking the holder; the teller sees the outcome in the day's list (before this
story, it said "conflict" for ever: services/day.py `DayBook._status`). After the app
ends, the central's record, its command log and conflict row, and B's own audit journal (its
store opened with the keyring the app wrote back) must tell the same story.

Nothing sleeps: every step waits on the screen with a deadline (the smoke test's
`Pane` with the story's longer deadline: the sync monitor looks at the line every 30 s).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import orjson
import pytest
from sqlalchemy import select

from tests.ui.test_tmux_customer_day import SGR, Day
from tests.ui.test_tmux_smoke import program_in_tmux
from tests.ui.tmux_story import CuttableProxy, write_settings

if TYPE_CHECKING:
    from central.dev.server import RunningCentral
    from tests.sync.helpers import Device

#: The holder of the simulated card in B's reader, as every screen shows it (masked).
HOLDER = "440104********0429"
#: How long one step may take on a loaded machine (the sync monitor alone waits up to 30 s).
STORY_DEADLINE = 120.0
#: The status bar once a sync has ended (not "never").
SYNCED = re.compile(r"Central: online · last sync \d\d:\d\d")
#: The accepted request's reference (its sentence may wrap in the answer panel).
REFERENCE = re.compile(r"Reference (\d+-[0-9A-F]{8})\.")


def type_into(b: Day, label: str, text: str, shown: str, *, tries: int = 3) -> None:
    """Focus the Input under `label`, type `text`, wait for `shown`. Once in about fifteen runs
    on a loaded machine the typed keys never reached the field (the focus had looked right):
    then the field is cleared (Ctrl+U) and typed again, at most `tries` times."""
    pane = b.pane
    for attempt in range(tries):
        b.focus_input(label)
        pane.send("C-u")
        pane.send(text)
        try:
            pane.wait_for(lambda: shown in b.text(), f"{text} typed", seconds=20)
            return
        except AssertionError:
            if attempt == tries - 1:
                raise


def button_style(b: Day, label: str) -> str | None:
    """The colours (SGR sequences) of the radio button's "●" on the line showing `label`: a
    pressed button's differ from the others'."""
    for line in b.styled():
        if label in SGR.sub("", line):
            found = re.search(r"((?:\x1b\[[0-9;]*m)+)●", line)
            return found.group(1) if found else None
    return None


@dataclass
class World:
    """The central, branch A's device, B's line (the proxy) and B's app in its pane."""

    central: RunningCentral
    proxy: CuttableProxy
    a_device: Device
    holder_id: str
    card_number: str
    b: Day
    b_store: Path
    b_keyring: Path


def _found_card() -> tuple[str, str]:
    """The social security number and card number of the card in B's simulated reader."""
    from branch_app.composition import SIMULATED_PSAM
    from readers.backend import read_card
    from readers.simulated import demo_readers

    reading = read_card(demo_readers("gen2_t0"), psam_reader=SIMULATED_PSAM)
    assert reading.social_security_number and reading.card_number
    return reading.social_security_number, reading.card_number


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    from branch_app.demo.cli import demo_base_config
    from branch_app.demo.parts import simulated_holder_records
    from branch_app.domain.lifecycle import ReportLoss
    from branch_app.domain.vocabulary import LossChannel
    from branch_app.store import LocalStore
    from branch_app.store.crypto import MemoryKeyring
    from central.db import utcnow
    from central.dev.demo_data import DEMO_BRANCH, DEMO_INSTANT_BRANCH
    from central.dev.server import start_central
    from central.service import CentralService
    from tests.sync.helpers import Device, registered_signer

    holder_id, card_number = _found_card()
    central = start_central(seed_demo=True, enable_channels=True, workdir=tmp_path / "central")
    proxy = CuttableProxy(central.port)
    proxy.start()
    a_store = None
    try:
        # The card agency knows the card, active; branch B has served its holder before, so
        # the changes of the card reach B's device with its syncs.
        database = central.database()
        service = CentralService(database, database.audit_key())
        bank = demo_base_config().branch.bank
        [record] = [r for r in simulated_holder_records(bank) if r.holder_id == holder_id]
        service.put_record(record)
        with database.write() as conn:
            service._follow(conn, DEMO_BRANCH, holder_id, utcnow())

        # -- branch A: the loss report, through the real engine ---------------------------------
        enrolled = central.enrol_device(branch=DEMO_INSTANT_BRANCH, place="instant_branch")
        a_store = LocalStore.open(tmp_path / "a", keyring=MemoryKeyring())
        a_device = Device(
            a_store,
            enrolled.device_id,
            enrolled.device_token,
            enrolled.branch,
            "T201",
            enrolled,
            signer=registered_signer(central, "T201", enrolled.device_id),
        )
        a_device.enqueue(holder_id, ReportLoss(LossChannel.OTHER_BANK_BRANCH), base_version=1)
        summary = a_device.engine(central.url).run()
        assert summary.ok and summary.outcomes == {"applied": 1}, summary

        # -- branch B: its app in tmux, through the proxy ----------------------------------------
        b_store, b_keyring = tmp_path / "b", tmp_path / "b-keyring.json"
        settings = write_settings(
            tmp_path / "b.json",
            url=proxy.url,
            code=central.issue_enrolment_code(DEMO_BRANCH, "branch"),
            data_dir=b_store,
            keyring={},
            keyring_out=b_keyring,
        )
        command = f"{sys.executable} -m tests.ui.tmux_story {settings}"
        env = {"BRANCH_APP_UI_LANGUAGE": "en", "TERM": "xterm-256color"}
        with program_in_tmux(
            tmp_path, command, name="branch-lost", size=(120, 40), env=env, deadline=STORY_DEADLINE
        ) as pane:
            pane.wait_for(lambda: "Staff login" in pane.text(), "B's app to start")
            yield World(
                central,
                proxy,
                a_device,
                holder_id,
                card_number,
                Day(pane, tmp_path / "receipts"),
                b_store,
                b_keyring,
            )
    finally:
        if a_store is not None:
            a_store.close()
        proxy.stop()
        central.close()


@pytest.mark.slow
@pytest.mark.timeout(900)  # a dozen steps, some waiting on the sync monitor's 30-second rounds
def test_a_found_card_unlocked_offline_while_a_relative_reports_it_lost_online(
    world: World,
) -> None:
    b, pane = world.b, world.b.pane

    # -- B online: the teller, and the card in the reader starting the customer -----------------
    b.wait_text(f"Reader: card {HOLDER}", "Central: online", what="the card and the central")
    b.login("T001", "teller-demo-1", "Chen Li")
    b.wait_text("F12  End customer", what="the card in the reader starting the customer")
    # B's first sync brought A's loss report into its cache (B follows the holder).
    pane.wait_for(lambda: SYNCED.search(b.text()) is not None, "B's first sync")

    # -- B's line goes down ----------------------------------------------------------------------
    world.proxy.cut = True
    b.wait_text("Central: offline", what="B offline")

    # -- the holder shows the found card: its number typed from the face -----------------------
    b.open_service("Unlock", "Unlock a lost card")
    b.wait_text(f"The customer being served: {HOLDER}", what="the holder in the unlock")
    type_into(
        b,
        "Found card's number",
        world.card_number,
        f"Typed from the card's face: {world.card_number} (check character correct)",
    )
    pane.send("F10")
    b.wait_text("Confirm the request", "queued and sent when online", what="the confirm step")
    pane.send("Enter")
    pane.wait_for(
        lambda: "Accepted (queued" in b.text() and REFERENCE.search(b.text()) is not None,
        "the unlock queued offline",
    )
    match = REFERENCE.search(b.text())
    assert match is not None
    reference = match.group(1)

    # -- meanwhile a relative reports the card lost online ---------------------------------------
    with world.central.client(world.a_device.enrolled) as http:
        answer = http.post(
            "/v1/channels/loss-report", json={"holder_id": world.holder_id, "channel": "online"}
        )
    assert answer.status_code == 200 and answer.json()["outcome"] == "merged", answer.text

    # -- B's line comes back: the app sends the unlock by itself; the central refuses it --------
    world.proxy.cut = False
    b.wait_text("Central: online", what="B online again")
    b.wait_text("refused 1 request", what="the conflict notified")

    # -- the teller leaves; the supervisor resolves the conflict on B -----------------------------
    pane.send("F12")
    pane.wait_for(lambda: f"Serving {HOLDER}" not in b.text(), "the customer ended")
    pane.send("C-l")
    b.wait_text("Nobody is signed in.", what="the teller's log-out")
    b.login("S001", "super-demo-1", "Liu Qiang")
    b.open_service("Conflicts", "Conflicts")
    text = b.wait_text(
        "1 open conflict(s) of this branch, from the central.",
        HOLDER,
        what="the conflict on B's supervisor's screen",
    )
    assert "T001" in text and "reported lost" in text, text
    pane.send("F7")
    b.wait_text("Resolve the conflict", "Uphold: the central's record stands", what="the dialog")
    b.wait_text("Correct: Unlock", what="the unlock offered again")
    # The note has the focus; the decision is the radio set before it: the correction is the
    # second choice. Each move waits for the focus to show where it went.
    note_label = "Note: what the holder was told"
    pane.wait_for(lambda: b.input_focused(note_label, 2), "the note's focus")
    pressed, unpressed = button_style(b, "Uphold: the"), button_style(b, "Correct: Unlock")
    assert pressed and unpressed and pressed != unpressed, (pressed, unpressed)
    pane.send("BTab")
    pane.wait_for(lambda: not b.input_focused(note_label, 2), "the decision's focus")
    pane.send("Down")
    pane.send("Enter")
    pane.wait_for(
        lambda: button_style(b, "Correct: Unlock") == pressed or "Nothing was decided" in b.text(),
        "the correction chosen",
    )
    assert "Nothing was decided" not in b.text(), b.text()
    pane.send("Tab")
    pane.wait_for(lambda: b.input_focused(note_label, 2), "the note's focus again")
    note = "Holder called: has the card; relative did not know"
    pane.send(note)
    b.wait_text(note, what="the note typed")
    pane.send("Enter")
    b.wait_text(f"Conflict of {HOLDER} resolved: corrected", what="the conflict resolved")
    b.wait_text("No open conflicts.", what="the list empty")

    # -- the teller sees the outcome in the day's list --------------------------------------------
    pane.send("Escape")
    pane.send("C-l")
    b.wait_text("Nobody is signed in.", what="the supervisor's log-out")
    b.login("T001", "teller-demo-1", "Chen Li")
    b.open_service("Today's requests", "Today's requests")
    text = b.wait_text(reference, "1 of 1 requests", what="the teller's day")
    row = next(line for line in text.splitlines() if reference in line)
    assert "Unlock" in row and "conflict, corrected by supervisor" in row, row

    pane.send("Escape")
    pane.send("C-q")
    pane.wait_for(lambda: not pane.alive(), "B's app exiting")
    pane.wait_for(lambda: world.b_keyring.exists(), "B's keyring written back")

    _check_the_record_and_both_journals(world, reference)


def _check_the_record_and_both_journals(world: World, reference: str) -> None:
    """The central's record, its command log and conflict row, and B's journal agree."""
    from branch_app.store import LocalStore
    from branch_app.store.crypto import MemoryKeyring
    from central import models

    central = world.central
    database = central.database()
    with database.read() as conn:
        record = orjson.loads(
            conn.execute(
                select(models.cards.c.record).where(models.cards.c.holder_id == world.holder_id)
            ).scalar_one()
        )
        commands = conn.execute(
            select(models.commands)
            .where(models.commands.c.holder_id == world.holder_id)
            .order_by(models.commands.c.received_at)
        ).all()
        [conflict] = conn.execute(
            select(models.conflicts).where(models.conflicts.c.holder_id == world.holder_id)
        ).all()
        lookups = conn.execute(
            select(models.lookup_audit.c.staff_id, models.lookup_audit.c.purpose).where(
                models.lookup_audit.c.subject_masked == HOLDER
            )
        ).all()
    story = [(c.kind, c.branch, c.actor, c.outcome) for c in commands]
    assert story == [
        ("report_loss", "GZ-DEMO-002", "T201", "applied"),
        ("report_loss", "CHANNEL", "online", "merged"),
        ("unlock", "GZ-DEMO-001", "T001", "conflict"),
        ("unlock", "GZ-DEMO-001", "S001", "applied"),
    ], story
    unlock, correction = commands[2], commands[3]
    assert (conflict.command_id, conflict.reason, conflict.status) == (
        unlock.id,
        "lost_after_unlock",
        "resolved",
    )
    assert (conflict.decision, conflict.resolved_by) == ("corrected", "S001")
    assert conflict.correcting_command_id == correction.id
    assert record["card_state"] == "active"
    # The supervisor's look at the record before deciding, audited at the central as on B.
    assert ("S001", "conflict_review") in [tuple(row) for row in lookups], lookups
    assert (record["social_security"], record["financial"]) == ("normal", "normal")

    keyring = MemoryKeyring.from_export(orjson.loads(world.b_keyring.read_bytes()))
    with LocalStore.open(world.b_store, keyring=keyring, inspect=True) as store:
        assert store.audit.verify().ok
        entries = list(store.audit.entries(holder_id=world.holder_id))
        actions = [(e.action, e.actor) for e in entries]
        item = store.outbox.get(unlock.id)
    assert item.status == "conflict"  # closed by the supervisor's decision, kept as answered
    accepted = next(e for e in entries if e.action == "counter.unlock")
    assert accepted.actor == "T001" and accepted.detail["outbox_id"] == unlock.id
    resolved = next(e for e in entries if e.action == "supervisor.resolve_conflict")
    assert resolved.actor == "S001"
    assert resolved.detail["conflict_id"] == conflict.id
    assert resolved.detail["command_id"] == unlock.id
    assert resolved.detail["decision"] == "corrected"
    assert resolved.detail["correcting_command_id"] == correction.id
    assert resolved.detail["outcome"] == "applied"
    assert ("supervisor.conflict_review", "S001") in actions, actions
    assert reference.endswith(unlock.id[:8].upper()), (reference, unlock.id)
