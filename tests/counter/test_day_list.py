"""The day's list and the end of the day: this teller's requests of today with their statuses,
found by reference or by the holder's ID number (keyed hash), updated when the central answers;
the summary, its supervisor's confirmation (audited) and its PDF; the screen in both languages."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from pypdf import PdfReader
from textual.widgets import DataTable, Input

from branch_app.domain.identity import mask_identity
from branch_app.domain.lifecycle import CardRecord, CardState, FunctionStatus
from branch_app.domain.vocabulary import ApplicationKind, OutboxStatus, Role
from branch_app.i18n import Language
from branch_app.services.counter import Accepted
from branch_app.services.day import DAY_CLOSED, DayBook, DayStatus, summarise, summary_lines
from branch_app.services.receipt import render_document
from branch_app.store import LocalStore
from branch_app.ui.dialogs.end_of_day import EndOfDayDialog
from branch_app.ui.screens.day_list import DayListScreen
from tests.ui.conftest import wait_until

from .conftest import ADULT, CHILD, NOW, PHOTO, desk, make_counter
from .screens import SIZE, counter_app


def card_in_use(holder: str = ADULT) -> CardRecord:
    return CardRecord(
        holder_id=holder,
        version=2,
        card_number="X00000019",
        card_state=CardState.ACTIVE,
        social_security=FunctionStatus.NORMAL,
        financial=FunctionStatus.NORMAL,
        bank="icbc",
        generation=3,
    )


#: The pretend teller the screen tests put on duty (`demo_staff`).
SCREEN_TELLER = "DEMO-TELLER"


def a_day(store: LocalStore, adult, teller: str = "T001") -> tuple[Accepted, Accepted]:
    """A loss report and a replacement (CNY 20) by `teller`."""
    store.card_cache.put(card_in_use())
    counter = make_counter(store, desk(staff_id=teller))
    loss = counter.report_loss(adult)
    replacement = counter.apply(adult, ApplicationKind.REPLACEMENT, photo_receipt=PHOTO)
    assert isinstance(loss, Accepted) and isinstance(replacement, Accepted)
    return loss, replacement


def answer(store: LocalStore, item_id: str, status: OutboxStatus) -> None:
    store.outbox.mark_sending([item_id])
    store.outbox.record_results([{"id": item_id, "status": status, "version": 3}])


def test_the_list_has_this_tellers_requests_of_today_with_their_status(
    store: LocalStore, adult, child
) -> None:
    loss, replacement = a_day(store, adult)
    store.card_cache.put(card_in_use(CHILD))
    other = make_counter(store, desk(staff_id="T002")).report_loss(child)  # another teller's
    assert isinstance(other, Accepted)
    book = DayBook(store, desk(), clock=lambda: NOW)
    rows = book.rows()
    assert [row.reference for row in rows] == [loss.reference, replacement.reference]
    assert [row.service for row in rows] == ["report_loss", "apply_replacement"]
    assert {row.status for row in rows} == {DayStatus.QUEUED}
    assert rows[0].holder_masked == mask_identity(ADULT) and rows[1].fee_yuan == 20
    assert len(book.rows(everyone=True)) == 3
    assert book.rows(NOW.date() - dt.timedelta(days=1)) == []

    store.outbox.mark_sending([loss.outbox_id])
    assert book.refresh(rows)[0].status is DayStatus.SENT
    store.outbox.record_results([{"id": loss.outbox_id, "status": "accepted", "version": 3}])
    answer(store, replacement.outbox_id, OutboxStatus.CONFLICT)
    fresh = book.refresh(rows)
    assert [row.status for row in fresh] == [DayStatus.APPLIED, DayStatus.CONFLICT]
    assert [row.status for row in book.rows()] == [DayStatus.APPLIED, DayStatus.CONFLICT]


def test_a_supervisor_sees_and_sums_up_the_devices_day(store: LocalStore, adult, child) -> None:
    """After a shift change (the teller logged out, a supervisor logged in) the supervisor's list
    and end of the day hold every teller's requests of the device (the tmux customer-day test)."""
    a_day(store, adult)
    store.card_cache.put(card_in_use(CHILD))
    other = make_counter(store, desk(staff_id="T002")).report_loss(child)
    assert isinstance(other, Accepted)
    book = DayBook(store, desk(Role.SUPERVISOR, staff_id="S001"), clock=lambda: NOW)
    assert [row.teller for row in book.rows()] == ["T001", "T001", "T002"]
    assert book.rows(everyone=False) == []
    summary = book.summary()
    assert summary.total == 3 and summary.teller == "T001, T002" and summary.fees_yuan == 20
    # The list on screen (day_list's F8 sums up its rows with the desk's id): the rows' tellers.
    assert summarise(book.rows()[:2], NOW.date(), "S001").teller == "T001"
    assert (
        DayBook(store, desk(Role.SUPERVISOR, staff_id="S001"), clock=lambda: NOW)
        .summary(NOW.date() - dt.timedelta(days=1))
        .teller
        == "S001"
    )


def test_a_search_by_reference_or_by_the_holders_number(store: LocalStore, adult, child) -> None:
    loss, replacement = a_day(store, adult)
    store.card_cache.put(card_in_use(CHILD))
    child_loss = make_counter(store).report_loss(child)
    assert isinstance(child_loss, Accepted)
    book = DayBook(store, desk(), clock=lambda: NOW)
    rows = book.rows()
    assert [r.outbox_id for r in book.search(rows, replacement.reference.lower())] == [
        replacement.outbox_id
    ]
    assert [r.outbox_id for r in book.search(rows, CHILD)] == [child_loss.outbox_id]
    assert [r.outbox_id for r in book.search(rows, ADULT)] == [
        loss.outbox_id,
        replacement.outbox_id,
    ]
    assert book.search(rows, "nothing-like-it") == []
    assert book.search(rows, "  ") == rows


def test_the_end_of_the_day_sums_up_and_is_audited(store: LocalStore, adult) -> None:
    loss, replacement = a_day(store, adult)
    answer(store, loss.outbox_id, OutboxStatus.ACCEPTED)
    answer(store, replacement.outbox_id, OutboxStatus.REJECTED)
    book = DayBook(store, desk(), clock=lambda: NOW)
    summary = book.summary()
    assert summary.total == 2 and summary.fees_yuan == 20
    assert summary.by_service == {"apply_replacement": 1, "report_loss": 1}
    assert summary.unsent == () and summary.refused == (replacement.reference,)
    n = book.close_day(summary, supervisor="S001", verified=True)
    entry = store.audit.entries()[-1]
    assert entry.n == n and entry.action == DAY_CLOSED and entry.actor == "T001"
    assert entry.detail["confirmed_by"] == "S001" and entry.detail["fees_yuan"] == 20
    assert entry.detail["refused"] == [replacement.reference]


@pytest.mark.parametrize("language", list(Language))
def test_the_summary_pdf_has_every_figure(
    store: LocalStore, adult, tmp_path: Path, language: Language
) -> None:
    a_day(store, adult)
    summary = DayBook(store, desk(), clock=lambda: NOW).summary()
    lines = summary_lines(summary, language)
    path = render_document("day", lines, [], tmp_path / "day.pdf")
    text = "".join(p.extract_text() for p in PdfReader(path).pages).replace(" ", "")
    for label, value in lines:
        assert label.replace(" ", "") in text and value.replace(" ", "") in text


# -- the screen ---------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "zh"])
async def test_the_screen_lists_searches_and_follows_the_central(
    store: LocalStore, adult, language: str
) -> None:
    loss, replacement = a_day(store, adult, SCREEN_TELLER)
    app = counter_app(store, language=language)
    async with app.run_test(size=SIZE) as pilot:
        app.action_open_service("day_list")
        await wait_until(
            pilot,
            lambda: isinstance(app.screen, DayListScreen) and bool(app.screen.query("#day-table")),
        )
        screen = app.screen
        table = screen.query_one("#day-table", DataTable)
        await wait_until(pilot, lambda: table.row_count == 2)
        queued = "queued" if language == "en" else "待发送"
        assert table.get_row_at(0)[1] == loss.reference and table.get_row_at(0)[5] == queued
        answer(store, replacement.outbox_id, OutboxStatus.ACCEPTED)
        applied = "applied" if language == "en" else "已生效"
        screen._refresh_statuses()
        await wait_until(pilot, lambda: table.get_row_at(1)[5] == applied)
        search = screen.query_one("#day-search", Input)
        search.value = ADULT
        await wait_until(pilot, lambda: table.row_count == 2)
        search.value = replacement.reference
        await wait_until(pilot, lambda: table.row_count == 1)
        assert screen.receipt_id() == replacement.outbox_id
        assert ADULT not in " ".join(str(c) for c in table.get_row_at(0))


async def test_the_end_of_day_dialog_needs_a_supervisor_and_audits(
    store: LocalStore, adult
) -> None:
    a_day(store, adult, SCREEN_TELLER)
    app = counter_app(store)
    async with app.run_test(size=SIZE) as pilot:
        app.action_open_service("day_list")
        await wait_until(
            pilot,
            lambda: isinstance(app.screen, DayListScreen) and bool(app.screen.query("#day-table")),
        )
        table = app.screen.query_one("#day-table", DataTable)
        await wait_until(pilot, lambda: table.row_count == 2)
        await pilot.press("f8")
        await wait_until(pilot, lambda: isinstance(app.screen, EndOfDayDialog))
        dialog = app.screen
        assert dialog.summary.total == 2 and dialog.summary.fees_yuan == 20
        dialog.query_one("#eod-confirm").press()
        await wait_until(
            pilot, lambda: "supervisor" in str(dialog.query_one("#eod-message").render())
        )
        dialog.query_one("#eod-supervisor", Input).value = "S001"
        dialog.query_one("#eod-password", Input).value = "super-demo-1"
        dialog.query_one("#eod-confirm").press()
        await wait_until(pilot, lambda: dialog.closed_entry is not None)
        entry = store.audit.entries()[-1]
        assert entry.action == DAY_CLOSED and entry.detail["confirmed_by"] == "S001"
        assert entry.detail["confirmation_verified"] is False  # no central here: said so


async def test_a_long_day_paints_at_once_and_every_row_is_reached_and_found(
    store: LocalStore, adult
) -> None:
    """3,000 requests: the table takes the first screenful at once and the rest in chunks;
    Ctrl+End reaches the last request even before all are in the table, and the search finds a
    request wherever it is (it runs on the screen's rows, never on the table's)."""
    from dataclasses import replace

    from branch_app.ui.receipts import daybook_for
    from branch_app.ui.widgets.paged_table import PagedTable

    a_day(store, adult, SCREEN_TELLER)
    app = counter_app(store)
    async with app.run_test(size=SIZE) as pilot:
        real = daybook_for(app)
        assert real is not None
        model = real.rows()[0]
        many = [
            replace(model, outbox_id=f"{n:032x}", reference=f"{n + 1}-{n:08X}")
            for n in range(3_000)
        ]

        class LongDay(DayListScreen):
            def _load(self) -> None:  # type: ignore[override]  # the rows at once
                self.book = real
                self.post_message(self.Loaded(many, None))

            def _refresh_statuses(self) -> None:  # type: ignore[override]  # made-up rows
                return None

        screen = LongDay()
        app.push_screen(screen)
        await wait_until(pilot, lambda: bool(screen.query("#day-table")))
        table = screen.query_one("#day-table", PagedTable)
        await wait_until(pilot, lambda: table.total == 3_000 and table.row_count > 0)
        table.focus()
        await pilot.press("ctrl+end")
        await wait_until(pilot, lambda: table.cursor_row == 2_999)
        assert table.row_count == 3_000
        assert screen.receipt_id() == many[-1].outbox_id

        search = screen.query_one("#day-search", Input)
        search.value = many[2_998].reference
        await wait_until(pilot, lambda: table.total == 1)
        assert table.get_row_at(0)[1] == many[2_998].reference
        assert screen.receipt_id() == many[2_998].outbox_id


@pytest.mark.parametrize("language", ["en", "zh"])
async def test_a_supervisors_list_says_it_holds_every_tellers_requests(
    store: LocalStore, adult, language: str
) -> None:
    """The intro says 'you accepted' to a teller and 'every teller' to a supervisor, whose list
    is the device's day."""
    from branch_app.i18n import t

    a_day(store, adult, SCREEN_TELLER)
    for role, key in ((Role.TELLER, "day.intro"), (Role.SUPERVISOR, "day.intro_everyone")):
        app = counter_app(store, language=language, role=role)
        async with app.run_test(size=SIZE) as pilot:
            app.action_open_service("day_list")
            await wait_until(
                pilot,
                lambda app=app: (
                    isinstance(app.screen, DayListScreen) and app.screen.book is not None
                ),
            )
            intro = str(app.screen.query_one("#day-intro").render())
            assert intro == t(key) and t("day.intro") != t("day.intro_everyone")
