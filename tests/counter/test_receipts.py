"""The receipt (受理回执) of an accepted request: every field, read back from the PDF, in both
languages; the same receipt made again from the day's list; the font's absence said plainly."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from pypdf import PdfReader

from branch_app.domain.identity import mask_identity
from branch_app.domain.lifecycle import CardRecord, CardState, FunctionStatus
from branch_app.domain.vocabulary import ApplicationKind, CancellationReason
from branch_app.i18n import Language, t
from branch_app.services.counter import Accepted
from branch_app.services.day import DayBook
from branch_app.services.receipt import (
    HOTLINE,
    FontMissing,
    Receipt,
    find_cjk_font,
    receipt_for,
    render_pdf,
)
from branch_app.store import LocalStore

from .conftest import ADULT, NOW, PHOTO, desk, make_counter


def pdf_text(path: Path) -> str:
    """The PDF's text, with the line breaks a long sentence gets on paper taken out."""
    text = "".join(page.extract_text() or "" for page in PdfReader(path).pages)
    return " ".join(text.split()).replace(" ", "")


def compact(text: str) -> str:
    return text.replace(" ", "")


def card_in_use(store: LocalStore) -> None:
    store.card_cache.put(
        CardRecord(
            holder_id=ADULT,
            version=2,
            card_number="X00000019",
            card_state=CardState.ACTIVE,
            social_security=FunctionStatus.NORMAL,
            financial=FunctionStatus.NORMAL,
            bank="icbc",
            generation=3,
        )
    )


def a_replacement(store: LocalStore, adult) -> Accepted:
    card_in_use(store)
    counter = make_counter(store)
    assert isinstance(counter.report_loss(adult), Accepted)
    outcome = counter.apply(adult, ApplicationKind.REPLACEMENT, photo_receipt=PHOTO)
    assert isinstance(outcome, Accepted)
    return outcome


@pytest.mark.parametrize("language", list(Language))
def test_every_field_of_the_receipt_is_in_the_pdf(
    store: LocalStore, adult, tmp_path: Path, language: Language
) -> None:
    accepted = a_replacement(store, adult)
    receipt = receipt_for(accepted, desk(), NOW)
    assert receipt.fee_yuan == 20 and receipt.due is not None
    path = render_pdf(receipt, tmp_path / f"receipt-{language}.pdf", language)
    text = pdf_text(path)
    fields = {
        "receipt.title": t("receipt.title", language),
        "receipt.label.reference": accepted.reference,
        "receipt.label.service": t("receipt.service.apply_replacement", language),
        "receipt.label.holder": mask_identity(ADULT),
        "receipt.label.fee": t("receipt.fee_amount", language, amount=20),
        "receipt.label.fee_reason": t("domain.fee.replacement", language),
        "receipt.label.due": receipt.due.isoformat(),
        "receipt.label.branch": "GZ-001",
        "receipt.label.teller": "T001",
        "receipt.label.time": "2025-03-14 10:30",
    }
    for key, value in fields.items():
        if key.startswith("receipt.label."):
            assert compact(t(key, language)) in text, key
        assert compact(value) in text, key
    assert compact(t("receipt.next.collect", language, due=receipt.due.isoformat())) in text
    assert compact(t("receipt.next.hotline", language, hotline=HOTLINE)) in text
    assert ADULT not in text  # the full number is never printed


def test_the_pdf_embeds_its_chinese_font(store: LocalStore, adult, tmp_path: Path) -> None:
    receipt = receipt_for(a_replacement(store, adult), desk(), NOW)
    path = render_pdf(receipt, tmp_path / "receipt.pdf")
    fonts = [
        font.get_object()
        for page in PdfReader(path).pages
        for font in page["/Resources"]["/Font"].values()
    ]
    descendants = [f["/DescendantFonts"][0].get_object() for f in fonts if "/DescendantFonts" in f]
    assert descendants and all(
        "/FontFile2" in d["/FontDescriptor"].get_object() for d in descendants
    )


def test_a_cancellation_and_a_loss_report_say_what_happens_next(
    store: LocalStore, adult, tmp_path: Path
) -> None:
    card_in_use(store)
    counter = make_counter(store)
    loss = counter.report_loss(adult)
    assert isinstance(loss, Accepted)
    receipt = receipt_for(loss, desk(), NOW)
    text = pdf_text(render_pdf(receipt, tmp_path / "loss.pdf", Language.CHINESE))
    assert compact(t("receipt.next.report_loss", Language.CHINESE)) in text
    assert compact(t("domain.fee.not_charged_service", Language.CHINESE)) in text
    cancel = make_counter(store).cancel(
        adult, CancellationReason.LOSS_OF_ENTITLEMENT, approved_by="S001"
    )
    assert isinstance(cancel, Accepted) and cancel.cancelled_by is not None
    english = pdf_text(
        render_pdf(receipt_for(cancel, desk(), NOW), tmp_path / "c.pdf", Language.ENGLISH)
    )
    assert (
        compact(
            t(
                "receipt.next.cancelled_by",
                Language.ENGLISH,
                day=cancel.cancelled_by.date.isoformat(),
            )
        )
        in english
    )


def test_the_day_list_makes_the_same_receipt_again(store: LocalStore, adult) -> None:
    accepted = a_replacement(store, adult)
    original = receipt_for(accepted, desk(), NOW)
    book = DayBook(store, desk(), clock=lambda: NOW)
    again = book.receipt(accepted.outbox_id)
    assert again is not None
    # Rebuilt from the acceptance's audit entry: the same in every field but the exact second.
    assert again.made_at.replace(second=0, microsecond=0) == NOW.replace(second=0)
    assert again == Receipt(**{**original.__dict__, "made_at": again.made_at})
    book.record_receipt(original, printed=False, where="/tmp/x.pdf")
    assert book.receipt(accepted.outbox_id) == original  # as it was printed
    assert store.audit.entries()[-1].action == "receipt.saved"
    assert book.receipt("no-such-id") is None


def test_a_receipt_survives_its_round_trip_as_data(store: LocalStore, adult) -> None:
    receipt = receipt_for(a_replacement(store, adult), desk(), NOW)
    assert Receipt.from_dict(receipt.to_dict()) == receipt
    assert ADULT not in str(receipt.to_dict())


def test_no_cjk_font_is_said_in_one_sentence(tmp_path: Path) -> None:
    with pytest.raises(FontMissing, match="fonts-wqy-zenhei"):
        find_cjk_font({"BRANCH_APP_RECEIPT_FONT": str(tmp_path / "none.ttf")})


def test_the_font_from_the_setup_is_found() -> None:
    # scripts/bootstrap.sh installs fonts-wqy-zenhei on Debian.
    assert find_cjk_font({}).is_file()


def test_the_times_on_the_receipt_are_local(store: LocalStore, adult) -> None:
    book = DayBook(store, desk(), clock=lambda: NOW)
    accepted = a_replacement(store, adult)
    again = book.receipt(accepted.outbox_id)
    assert again is not None and again.made_at.utcoffset() == dt.timedelta(hours=8)


# -- the keys: the counter's answer and the day's list ------------------------------------------


async def test_the_answer_saves_and_the_day_list_saves_again_the_receipt(
    store: LocalStore, adult
) -> None:
    from textual.widgets import DataTable, Input

    from branch_app.ui.screens.day_list import DayListScreen
    from branch_app.ui.screens.loss_report import LossReportScreen
    from tests.ui.conftest import wait_until

    from .screens import SIZE, counter_app

    card_in_use(store)
    folder = store.data_dir / "receipts"
    app = counter_app(store, language="en")
    async with app.run_test(size=SIZE) as pilot:
        app.action_open_service("report_loss")
        await wait_until(
            pilot,
            lambda: (
                isinstance(app.screen, LossReportScreen)
                and bool(app.screen.query("#counter-holder"))
            ),
        )
        screen = app.screen
        assert screen.check_action("save_receipt", ()) is False  # nothing accepted yet
        holder = screen.query_one("#counter-holder", Input)
        holder.focus()
        holder.value = ADULT
        await pilot.press("f10")
        await wait_until(pilot, lambda: app.screen is not screen)  # the confirm step
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(screen.outcome, Accepted))
        accepted = screen.outcome
        await pilot.press("ctrl+s")  # Chinese by default
        chinese = folder / f"receipt-{accepted.reference}-zh.pdf"
        await wait_until(pilot, lambda: chinese.exists())
        assert compact(t("receipt.service.report_loss", Language.CHINESE)) in pdf_text(chinese)
        await pilot.press("ctrl+t", "ctrl+s")  # English on request
        english = folder / f"receipt-{accepted.reference}-en.pdf"
        await wait_until(pilot, lambda: english.exists())
        assert accepted.reference in pdf_text(english)
        await wait_until(pilot, lambda: store.audit.entries()[-1].action == "receipt.saved")

        app.action_open_service("day_list")
        await wait_until(
            pilot,
            lambda: isinstance(app.screen, DayListScreen) and bool(app.screen.query("#day-table")),
        )
        day = app.screen
        table = day.query_one("#day-table", DataTable)
        await wait_until(pilot, lambda: table.row_count == 1)
        chinese.unlink()
        table.focus()
        await pilot.press("ctrl+s")  # the receipt again, from the list
        await wait_until(pilot, lambda: chinese.exists())
        assert compact(accepted.reference) in pdf_text(chinese)
