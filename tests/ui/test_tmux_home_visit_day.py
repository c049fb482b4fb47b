"""Issue 13's home-visit day in a real terminal, against the central on loopback.

The central is the test's own (`start_central`, the demo's staff and cardholders, on a SQLite
file in the test's folder), so it can be stopped for the day out and started again on the same
port and database, and read afterwards. Before the laptop's member of staff logs in, the
administrator sets the branch's offline limits low with `central branch-limits --max-unsent 3`:
the log-in brings them to the laptop. The laptop is the demo's configuration as a home-visit
device of the demo's branch (`tests.ui.tmux_story`), in tmux at 130x64 (tall enough for most of the guardian's form).

At the branch, online, H001 plans three visits: a child's first card application (the central
knows no record), a loss report and a change of contact details (the central knows both people).
The central stops (the laptop is out). At each home the visit is started from today's list; the
counter's screen for the need opens for that person; the request is queued; back on the list the
visit records the address visited and who else was present, and ends with its receipt saved as
a PDF. The child's application is taken from the legal guardian, with the guardian's own ID card
and the proof of guardianship. A fourth request (the contact change's address, asked for on the
third visit) is refused with the limit's sentence and nothing is recorded. The central starts
again; the laptop syncs by itself; S001 signs in on the laptop, opens the batch, sees the three
requests applied and their receipts, and approves it.

After the app ends: the central applied each of the three commands exactly once (its commands
table, and the records it keeps), the three receipts are PDFs in `[printer] folder`, and the
laptop's audit journal (its store opened with the keyring the app wrote back) holds the batch's
approval by S001 over requests 1 to 3.

Nothing sleeps: every step waits on the screen (tmux's `pipe-pane` wakes the wait when the
program draws) with a deadline long enough for a loaded machine and the sync monitor's rounds.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson
import pytest
from sqlalchemy import select

from branch_app.domain.identity import mask_identity, resident_check_character
from branch_app.i18n import t
from tests.ui.test_tmux_customer_day import SGR, Day
from tests.ui.test_tmux_smoke import ROOT, program_in_tmux
from tests.ui.tmux_story import write_settings

#: How long one step may take on a loaded machine (the sync monitor looks every 30 s).
STEP_DEADLINE = 120.0
#: The branch's limit for this day: three requests before a sync and the approval.
MAX_UNSENT = 3


def _resident(first17: str) -> str:
    return first17 + resident_check_character(first17)


#: Made-up people with valid check characters. A child (born 2015) applies for a first card
#: through her father; an elderly man reports his card lost; an elderly woman changes her mobile.
CHILD = _resident("44010620150601123")
GUARDIAN = _resident("44010619900101123")
LOSER = _resident("44010619380412201")
MOVER = _resident("44010619410903302")
VISITS = (
    (CHILD, "Li Xiaoyu", "Yuexiu, Dongfeng Road 100, 3F", None),
    (LOSER, "Chen Bo", "Haizhu, Jiangnan Avenue 200, 5F", "Loss report"),
    (MOVER, "Zhou Po", "Tianhe, Tianhe Road 300, 8F", "Change of contact details"),
)
MOBILE = "13800138000"
PHOTO = "GZ2025031400A7"
QUEUED = "Accepted (queued, will be sent when online)."
#: The answer panel may wrap the sentence: the reference is found on its own.
REFERENCE = re.compile(r"Reference (\d+-[0-9A-F]{8})\.")


@dataclass
class Laptop:
    """The central, the laptop's app in its pane, and where its files are."""

    central: object
    day: Day
    data_dir: Path
    keyring_out: Path
    receipts: Path


def _seed_people(central) -> None:  # type: ignore[no-untyped-def]
    """The central knows the two elderly people's cards (active, bank accounts open); the child
    has none yet."""
    from branch_app.demo.cli import demo_base_config
    from branch_app.domain.card_number import card_number_check_character
    from branch_app.domain.lifecycle import CardRecord
    from branch_app.domain.vocabulary import CardState, FunctionStatus
    from central.service import CentralService

    database = central.database()
    service = CentralService(database, database.audit_key())
    bank = demo_base_config().branch.bank
    for n, holder in enumerate((LOSER, MOVER), start=1):
        first8 = f"HV{n:06d}"
        service.put_record(
            CardRecord(
                holder_id=holder,
                version=1,
                card_number=first8 + card_number_check_character(first8),
                card_state=CardState.ACTIVE,
                social_security=FunctionStatus.NORMAL,
                financial=FunctionStatus.NORMAL,
                bank=bank,
                generation=3,
                collected_on=dt.date(2022, 5, n),
            )
        )


def _set_limits(central) -> str:  # type: ignore[no-untyped-def]
    """`central branch-limits`, as an administrator runs it against the central's database."""
    from central.dev.demo_data import DEMO_BRANCH

    env = {**os.environ, "CENTRAL_DATABASE_URL": central.database_url}
    answer = subprocess.run(
        [
            *(sys.executable, "-m", "central.cli", "branch-limits"),
            *("--branch", DEMO_BRANCH, "--max-unsent", str(MAX_UNSENT)),
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env=env,
        timeout=60,
    )
    return answer.stdout


@pytest.fixture
def laptop(tmp_path: Path) -> Iterator[Laptop]:
    from central.dev.demo_data import DEMO_BRANCH
    from central.dev.server import start_central

    central = start_central(seed_demo=True, enable_channels=True, workdir=tmp_path / "central")
    try:
        _seed_people(central)
        said = _set_limits(central)
        assert f"at most {MAX_UNSENT} requests" in said, said
        data_dir, keyring_out = tmp_path / "laptop", tmp_path / "laptop-keyring.json"
        receipts = tmp_path / "receipts"
        settings = write_settings(
            tmp_path / "laptop.json",
            url=central.url,
            code=central.issue_enrolment_code(DEMO_BRANCH, "home_visit"),
            data_dir=data_dir,
            keyring_out=keyring_out,
            device_kind="home_visit",
            device_name="home-visit laptop",
        )
        command = f"{sys.executable} -m tests.ui.tmux_story {settings}"
        env = {
            "BRANCH_APP_UI_LANGUAGE": "en",
            "TERM": "xterm-256color",
            "BRANCH_APP_PRINTER_FOLDER": str(receipts),
        }
        with program_in_tmux(
            tmp_path, command, name="branch-visit", size=(130, 64), env=env, deadline=STEP_DEADLINE
        ) as pane:
            pane.wait_for(lambda: "Staff login" in pane.text(), "the laptop's app to start")
            yield Laptop(central, Day(pane, receipts), data_dir, keyring_out, receipts)
    finally:
        central.close()


# -- steps ---------------------------------------------------------------------------------------


FOCUS_BORDER = re.compile(r"((?:\x1b\[[0-9;]*m)+)▊")


def _focus_rows(day: Day) -> tuple[tuple[int, str], ...]:
    """The rows where a widget's left border is drawn in the focus colour (an Input, a Select, a
    checkbox), with their text: what a Tab changes, and nothing else on the screen (a toast, the
    clock) does. The text counts too: a form scrolled to keep the focused widget in view may draw
    the next one on the same rows."""
    rows = []
    for n, line in enumerate(day.styled()):
        found = FOCUS_BORDER.search(line)
        if found is not None and "38;5;233" not in found.group(1):
            rows.append((n, SGR.sub("", line)))
    return tuple(rows)


def _tab_once(day: Day) -> None:
    """One Tab, waiting for the screen to show that the focus moved."""
    before = _focus_rows(day)
    day.pane.send("Tab")
    day.pane.wait_for(lambda: _focus_rows(day) != before, "the focus to move")


#: How long one Tab may take to show the focus elsewhere before the next is sent (a Tab stop
#: that draws no focus mark, seen once under a full CI run's load, shows nothing).
TAB_SHOWN_SECONDS = 10.0


def _focus_input(day: Day, label: str, *, below: int, most: int = 12) -> None:
    """Tab, one at a time (each waiting for the focus to be drawn elsewhere, or for the
    screen to settle), until the Input at `label` (`below` lines under it; 0: its
    placeholder) has the focus."""
    for _ in range(most):
        if day.input_focused(label, below):
            return
        before = _focus_rows(day)
        day.pane.send("Tab")
        day.pane.within(
            lambda before=before: day.input_focused(label, below) or _focus_rows(day) != before,
            TAB_SHOWN_SECONDS,
        )
    assert day.input_focused(label, below), f"{label} never got the focus:\n{day.text()}"


def _tabs_to(day: Day, tabs: int, label: str, *, below: int) -> None:
    """`tabs` Tabs at once (the app takes keys in order), then the Input at `label` has the
    focus: for a screen whose Tab stops include widgets that draw no focus mark."""
    day.pane.send(*["Tab"] * tabs)
    day.pane.wait_for(lambda: day.input_focused(label, below), f"the focus on {label!r}")


def _type_into(day: Day, label: str, text: str, *, below: int) -> None:
    """Move the focus to the Input at `label` and type `text` into it (waiting to see it)."""
    _focus_input(day, label, below=below)
    day.pane.send("-l", text)
    day.pane.wait_for(lambda: f"▊  {text}" in day.text(), f"{text!r} typed at {label!r}")


def _type_guardian_number(day: Day) -> None:
    """The guardian's number into its field. Once in a full CI run it landed in the name field
    below although the number's field was drawn focused (not explained; the lost-card story
    saw a typed number go missing once too): then it is taken out again, Shift+Tab goes back
    and it is typed once more, so the story goes on and says what it saw."""
    _type_into(day, "document number", GUARDIAN, below=0)
    for _ in range(3):
        if "name as on the document" in day.text():  # the name's field is still empty
            return
        day.pane.send("C-u")
        day.pane.wait_for(lambda: "name as on the document" in day.text(), "the name emptied")
        day.pane.send("BTab")
        day.pane.wait_for(lambda: day.input_focused("document number", 0), "back on the number")
        day.pane.send("-l", GUARDIAN)
        day.pane.wait_for(lambda: f"▊  {GUARDIAN}" in day.text(), "the number typed again")
    assert "name as on the document" in day.text(), day.text()


def _check(day: Day, label: str) -> None:
    """Space on the focused checkbox at `label`; wait for its box to be drawn checked."""

    def line() -> str:
        return next((row for row in day.styled() if label in SGR.sub("", row)), "")

    before = line()
    day.pane.send("Space")
    day.pane.wait_for(lambda: line() != before, f"{label!r} checked")


def _choose(day: Day, search: str, shown: str, *, hidden_before: str) -> None:
    """On a focused Select: open its list, type to find `search`, Enter; `shown` appears."""
    day.pane.send("Enter")
    day.pane.wait_for(lambda: hidden_before in day.text(), "the list of choices to open")
    # The open list takes the typed keys in order: it highlights the match, Enter takes it.
    day.pane.send("-l", search)
    day.pane.send("Enter")
    day.pane.wait_for(
        lambda: hidden_before not in day.text() and shown in day.text(), f"{shown!r} chosen"
    )


def _plan(day: Day, holder: str, name: str, address: str, need: str | None, n: int) -> None:
    day.pane.send("-l", holder)
    day.pane.wait_for(lambda: f"▊  {holder}" in day.text(), "the ID number typed")
    day.wait_text(f"Valid: {mask_identity(holder)}", what="the number checked as typed")
    _tab_once(day)
    day.pane.send("-l", name)
    day.pane.wait_for(lambda: f"▊  {name}" in day.text(), "the name typed")
    _tab_once(day)
    day.pane.send("-l", address)
    day.pane.wait_for(lambda: f"▊  {address}" in day.text(), "the address typed")
    _tab_once(day)  # what they need (a card application unless chosen)
    if need is not None:
        _choose(day, need.split()[0], need, hidden_before="Query")
    _tab_once(day)
    why = "cannot leave home"
    day.pane.send("-l", why)
    day.pane.wait_for(lambda: f"▊  {why}" in day.text(), "why typed")
    day.pane.send("Enter")
    day.wait_text(f"Visit {n} planned: {mask_identity(holder)}", what=f"visit {n} planned")


def _panel(day: Day, title: str) -> str:
    """The text inside the bordered panel titled `title`, its lines joined by single spaces (a
    sentence the panel wraps reads whole again)."""
    lines = day.text().split("\n")
    top = next((n for n, line in enumerate(lines) if f"╭─ {title} " in line), None)
    if top is None:
        return ""
    left = lines[top].index(f"╭─ {title} ")
    right = lines[top].index("╮", left)
    inside = []
    for line in lines[top + 1 :]:
        if line[left : left + 1] == "╰":
            break
        inside.append(line[left + 1 : right].strip(" │╭╮╰╯─"))
    return " ".join(" ".join(inside).split())


def _queued(day: Day, what: str, seq: int, *confirm: str) -> str:
    """F10, the confirm step (showing `confirm`), Enter: the request queued offline as the
    laptop's `seq`-th; its reference."""
    day.pane.send("F10")
    day.wait_text("Confirm the request", *confirm, what=f"the {what}'s confirm step")
    day.pane.send("Enter")

    def queued() -> bool:
        text = day.text()
        found = REFERENCE.search(text)
        return QUEUED in text and found is not None and found.group(1).startswith(f"{seq}-")

    day.pane.wait_for(queued, f"the {what} queued")
    found = REFERENCE.search(day.text())
    assert found is not None
    return found.group(1)


def _end_visit(day: Day, n: int, address: str | None, present: tuple[str, str]) -> None:
    """Back on today's list: where the visit was made (when not the planned address), who else
    was present, then F9: the visit ends with its receipt saved."""
    day.open_service("Today's home visits", "Today's home visits")
    day.wait_text(f"No. {n} ·", "Status: In progress", "Requests taken: 1", what=f"visit {n}")
    # From the list, Tab passes the visit's panel (scrollable, so it takes the focus too) to
    # the address visited, then to who else was present.
    if address is not None:
        _tabs_to(day, 2, "Address visited", below=2)
        day.pane.send("C-e", "C-u")
        day.pane.send("-l", address)
        day.pane.send("Enter")
        day.pane.wait_for(
            lambda: f"▊  {address}" in day.text() and "Recorded." in _panel(day, "The visit"),
            "the address visited recorded",
        )
        _tabs_to(day, 1, "a relative, a carer...", below=0)
    else:
        _tabs_to(day, 3, "a relative, a carer...", below=0)
    kind, name = present
    day.pane.send("-l", kind)
    day.pane.wait_for(lambda: f"▊  {kind}" in day.text(), f"{kind!r} typed")
    day.pane.send("Enter")  # on to their name
    day.pane.wait_for(
        lambda: day.input_focused("their name (Enter adds)", 0), "the focus on their name"
    )
    day.pane.send("-l", name)
    day.pane.send("Enter")
    day.pane.wait_for(lambda: f"{kind}: " in _panel(day, "The visit"), f"the {kind} recorded")
    day.pane.send("F9")
    day.pane.wait_for(
        lambda: f"Visit {n} ended: 1 requests, 1 receipts saved." in _panel(day, "The visit"),
        f"visit {n} ended with its receipt saved",
    )


def _next_visit(day: Day, n: int) -> None:
    """The list has the focus again once a visit ends; the cursor goes down to visit `n`,
    Enter starts it."""
    day.pane.send("Down")
    day.pane.wait_for(lambda: f"No. {n} ·" in _panel(day, "The visit"), f"visit {n} chosen")
    day.pane.send("Enter")
    day.pane.wait_for(lambda: f"Visit {n} started" in day.text(), f"visit {n} started")


@pytest.mark.slow
@pytest.mark.timeout(900)  # some steps wait on the sync monitor's 30-second rounds
def test_a_home_visit_day_offline_then_synced_and_approved(laptop: Laptop) -> None:
    day = laptop.day
    # -- at the branch: the home-visit member of staff logs in online; the limits come along ----
    day.wait_text("Central: online", "H001 / visit-demo-1", what="the central and the log-ins")
    day.login("H001", "visit-demo-1", "Wang Fang")
    day.open_service("Plan home visits", "Plan home visits")
    day.pane.wait_for(
        lambda: "Planning needs the central" not in day.text(), "the planning allowed online"
    )
    for n, (holder, name, address, need) in enumerate(VISITS, start=1):
        _plan(day, holder, name, address, need, n)
    day.wait_text("3 visits planned", what="the three visits on the list")

    # -- out of the branch: the central is out of reach (stopped; its database stays) -----------
    laptop.central.stop()
    day.pane.wait_for(lambda: "Central: offline" in day.text(), "the laptop to see it is offline")

    # -- visit 1: the child's first card, applied for by her father, her legal guardian ---------
    day.open_service("Today's home visits", "Today's home visits")
    day.wait_text("0 of 3 visits finished", what="today's list")
    day.pane.send("Enter")
    day.wait_text("— Card application —", what="the application for the first visit")
    day.wait_text(f"Serving {mask_identity(CHILD)}", "at the holder's home", what="the child")
    _type_into(day, "Photo receipt number", PHOTO, below=2)
    _tab_once(day)  # the police photo's checkbox
    _tab_once(day)  # who applies
    _choose(day, "guardian", "The legal guardian", hidden_before="An agent (HK")
    day.wait_text("Proof of guardianship shown", what="the guardian's part of the form")
    _tab_once(day)  # the proof of guardianship
    _check(day, "Proof of guardianship shown")
    _type_guardian_number(day)
    _type_into(day, "name as on the document", "Li Wei", below=0)
    application = _queued(
        day, "application", 1, "The legal guardian", f"Resident ID card {mask_identity(GUARDIAN)}"
    )
    _end_visit(day, 1, "Dongfeng Road 100, 3F (his grandmother's flat)", ("father", "Li Wei"))

    # -- visit 2: a loss report at the holder's home -------------------------------------------
    _next_visit(day, 2)
    day.wait_text("— Loss report —", f"Serving {mask_identity(LOSER)}", what="the loss report")
    loss = _queued(day, "loss report", 2)
    _end_visit(day, 2, None, ("carer", "Zhang Hua"))

    # -- visit 3: a new mobile number; then the address too, over the limit: refused -----------
    _next_visit(day, 3)
    day.wait_text(
        "— Change of contact details —", f"Serving {mask_identity(MOVER)}", what="the data change"
    )
    _type_into(day, "New mobile number", MOBILE, below=2)
    change = _queued(day, "contact change", 3)
    # She asks for her address to be changed too: a fourth request, on the same form.
    _type_into(day, "New address", "Tianhe Road 302", below=2)
    day.pane.send("F10")
    refusal = t("counter.refusal.home_visit_batch_full", "en", max_unsent=MAX_UNSENT)
    day.pane.wait_for(
        lambda: refusal in _panel(day, "Answer") and "Nothing was recorded." in day.text(),
        "the fourth request refused with the limit's sentence",
    )
    assert "Confirm the request" not in day.text()
    _end_visit(day, 3, None, ("daughter", "Chen Mei"))
    day.wait_text("3 of 3 visits finished", what="the day's visits all finished")
    references = {application, loss, change}
    assert len(references) == MAX_UNSENT

    # -- back at the branch: the central answers again; the laptop sends the batch by itself ----
    laptop.central.start()  # the same port, the same database
    day.pane.wait_for(
        lambda: "Central: online" in day.text() and "Queue: empty" in day.text(),
        "the laptop online again with its queue sent",
    )

    # -- the supervisor signs in on the laptop, reviews the batch and approves it ---------------
    day.pane.send("C-l")
    day.wait_text("Nobody is signed in.", what="the home-visit staff logged out")
    day.login("S001", "super-demo-1", "Liu Qiang")
    day.open_service("Approve the home-visit batch", "The home-visit batch")
    summary = "3 requests: 3 applied, 0 refused, 0 not sent yet; 3 receipts printed or saved."
    day.pane.wait_for(
        lambda: (
            summary in _panel(day, "The home-visit batch")
            and all(reference in day.text() for reference in references)
        ),
        "the batch, every request applied and its receipt saved",
    )
    about = _panel(day, "The home-visit batch")  # the left one: the limits and the summary
    assert f"Limits of this branch: {MAX_UNSENT} requests" in about, about
    day.pane.send("F9")
    # The sentence wraps in the narrow column; the journal is checked for its range below.
    day.wait_text("Batch approved: 3 requests", what="the batch approved by the supervisor")
    day.pane.send("C-q")  # nothing unsent: no question, the app ends
    day.pane.wait_for(lambda: not day.pane.alive(), "the app to end")

    # -- afterwards: the central, the receipts and the laptop's journal agree -------------------
    _check_the_central(laptop, {CHILD: "apply", LOSER: "report_loss", MOVER: "change_contact"})
    pdfs = sorted(laptop.receipts.glob("*.pdf"))
    assert len(pdfs) == 3, pdfs
    for reference in references:
        assert any(reference in pdf.name for pdf in pdfs), (reference, pdfs)
    assert all(pdf.read_bytes().startswith(b"%PDF") for pdf in pdfs)
    _check_the_journal(laptop)


def _check_the_central(laptop: Laptop, kinds: dict[str, str]) -> None:
    """Each of the three commands arrived once, was applied, and changed the record it names."""
    from central import models

    database = laptop.central.database()
    with database.read() as conn:
        rows = conn.execute(
            select(models.commands.c.holder_id, models.commands.c.kind, models.commands.c.outcome)
        ).all()
        cards = {
            row.holder_id: row
            for row in conn.execute(
                select(
                    models.cards.c.holder_id,
                    models.cards.c.card_state,
                    models.cards.c.social_security,
                    models.cards.c.record,
                )
            )
        }
    assert sorted((r.holder_id, r.kind, r.outcome) for r in rows) == sorted(
        (holder, kind, "applied") for holder, kind in kinds.items()
    )
    assert cards[LOSER].card_state == "loss_reported" and cards[LOSER].social_security == "frozen"
    assert MOBILE in cards[MOVER].record  # the central's record holds the new mobile
    assert CHILD in cards  # the child's application made her record


def _check_the_journal(laptop: Laptop) -> None:
    """The laptop's own journal: the batch's approval by S001, over requests 1 to 3."""
    from branch_app.store import LocalStore
    from branch_app.store.crypto import MemoryKeyring

    memory = MemoryKeyring.from_export(orjson.loads(laptop.keyring_out.read_bytes()))
    with LocalStore.open(laptop.data_dir, keyring=memory) as store:
        entries = list(store.audit.entries())
    approvals = [e for e in entries if e.action == "home_visit.batch_approved"]
    assert len(approvals) == 1, [e.action for e in entries]
    (approval,) = approvals
    assert approval.actor == "S001"
    assert approval.detail["from_seq"] == 1 and approval.detail["through_seq"] == 3
    assert approval.detail["requests"] == 3
    assert sum(1 for e in entries if e.action == "visit.ended") == 3
