"""Printing a receipt through a real CUPS queue (a private cupsd whose device writes to a file),
as the reader is tested through the real pcscd: `lp -d <printer>` takes the PDF, the scheduler
runs the driver's filter and the device writes the page, which is read back."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pytest

from branch_app.i18n import Language, t
from branch_app.services.printing import PrintFailed, SystemPrinter
from branch_app.services.receipt import Receipt, render_pdf

from .conftest import Cups, wait_until

RECEIPT = Receipt(
    reference="12-0A1B2C3D",
    outbox_id="0a1b2c3d-0000-4000-8000-000000000000",
    service="apply_replacement",
    holder_masked="440106********1235",
    fee_yuan=20,
    fee_reason="replacement",
    due=dt.date(2025, 3, 28),
    due_provisional=False,
    instant=False,
    branch="GZ-001",
    teller="T001",
    made_at=dt.datetime(2025, 3, 14, 10, 30, tzinfo=dt.timezone(dt.timedelta(hours=8))),
)


def printed_text(path: Path, timeout: float = 30) -> str:
    """The text of what the queue's device wrote, once the job has finished writing it."""
    found: list[str] = []

    def written() -> bool:
        if not path.exists() or path.stat().st_size == 0:
            return False
        done = subprocess.run(
            ["pdftotext", str(path), "-"], capture_output=True, text=True, check=False
        )
        if done.returncode == 0 and done.stdout.strip():
            found.append(" ".join(done.stdout.split()).replace(" ", ""))
        return bool(found)

    wait_until(written, timeout, f"nothing printed to {path} within {timeout} s")
    return found[0]


@pytest.mark.parametrize("language", list(Language))
def test_a_receipt_goes_through_a_real_cups_queue(
    cups: Cups, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, language: Language
) -> None:
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext is installed by the setup (poppler-utils)")
    monkeypatch.setenv("CUPS_SERVER", str(cups.socket))
    pdf = render_pdf(RECEIPT, tmp_path / "receipt.pdf", language)
    job = SystemPrinter(cups.queue).print_file(pdf, title=RECEIPT.reference)
    assert job.startswith(f"{cups.queue}-")
    text = printed_text(cups.output)
    for expected in (
        t("receipt.title", language),
        RECEIPT.reference,
        RECEIPT.holder_masked,
        t("receipt.service.apply_replacement", language),
        t("receipt.fee_amount", language, amount=20),
        "2025-03-28",
        "GZ-001",
        "T001",
        t("receipt.next.hotline", language, hotline="12345"),
    ):
        assert expected.replace(" ", "") in text, expected


def test_an_unknown_printer_is_a_refusal_with_the_reason(
    cups: Cups, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CUPS_SERVER", str(cups.socket))
    pdf = render_pdf(RECEIPT, tmp_path / "receipt.pdf")
    with pytest.raises(PrintFailed) as caught:
        SystemPrinter("no-such-printer").print_file(pdf)
    assert caught.value.code == "refused" and caught.value.detail
    assert not cups.output.exists()


def test_without_lp_printing_says_so(tmp_path: Path) -> None:
    pdf = render_pdf(RECEIPT, tmp_path / "receipt.pdf")
    with pytest.raises(PrintFailed) as caught:
        SystemPrinter("receipts", lp=str(tmp_path / "no-lp")).print_file(pdf)
    assert caught.value.code == "system"
    with pytest.raises(PrintFailed) as missing:
        SystemPrinter("receipts").print_file(tmp_path / "never-made.pdf")
    assert missing.value.code == "no_file"
