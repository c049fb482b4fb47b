"""The receipt (受理回执) of an accepted request: its content as data, and a PDF of it.

Every accepted request gets one: its reference, the service, the holder's masked number, the fee
and why, the due date, the branch, the teller, the time, and what happens next (when and where to
collect, the hotline). `receipt_for` builds it from the counter's `Accepted` answer; `Receipt`
turns into plain data (`to_dict`/`from_dict`) so that the day's list can reprint it from the audit
journal (`services.day`). `receipt_lines` words it in Chinese (the default) or English, and
`render_pdf` writes those lines to a PDF that embeds a CJK font (fpdf2; the font is found on the
machine at run time, `find_cjk_font`, and its absence is said in one sentence, `FontMissing`).

Nothing here imports textual, and nothing holds a full ID number: only the masked one.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from branch_app.i18n import Language, catalog, t

if TYPE_CHECKING:
    from branch_app.services.counter import Accepted, Desk

#: The public service hotline a holder calls with a question (Guangzhou: 12345).
HOTLINE = "12345"

#: Where a CJK font is looked for, in this order (Debian's fonts-wqy-zenhei and fonts-noto-cjk,
#: then Windows' own). `BRANCH_APP_RECEIPT_FONT` names another file.
FONT_CANDIDATES: tuple[str, ...] = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    r"C:\Windows\Fonts\msyh.ttc",
    r"C:\Windows\Fonts\simsun.ttc",
)
FONT_ENV = "BRANCH_APP_RECEIPT_FONT"


class FontMissing(RuntimeError):
    """No CJK font to embed: the message says which package installs one."""

    def __init__(self) -> None:
        super().__init__(
            "no Chinese font found for the receipt PDF: install fonts-wqy-zenhei "
            f"(apt-get install fonts-wqy-zenhei) or set {FONT_ENV} to a .ttf/.ttc file"
        )


def find_cjk_font(env: Mapping[str, str] | None = None) -> Path:
    """The CJK font file the receipt embeds; `FontMissing` when there is none."""
    env = os.environ if env is None else env
    named = env.get(FONT_ENV)
    candidates = (named,) if named else FONT_CANDIDATES
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    raise FontMissing()


def service_of(command: Mapping[str, Any]) -> str:
    """The receipt's service code of a command (`command_to_dict` form): `apply_first`,
    `apply_instant`, `report_loss`, ... (a catalog key under `receipt.service.`)."""
    kind = str(command.get("kind", ""))
    if kind == "apply":
        if command.get("speed") == "instant":
            return "apply_instant"
        return f"apply_{command.get('application', 'first')}"
    return kind


@dataclass(frozen=True)
class Receipt:
    """What the receipt says, in data (no language)."""

    reference: str
    outbox_id: str
    service: str
    holder_masked: str
    fee_yuan: int
    fee_reason: str  # domain.fee.<code>
    due: dt.date | None
    due_provisional: bool
    instant: bool
    branch: str
    teller: str
    made_at: dt.datetime  # local time, timezone-aware
    #: A cancellation: when the card agency will have cancelled the card.
    cancelled_by: dt.date | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for name in ("due", "cancelled_by"):
            value = data[name]
            data[name] = value.isoformat() if value is not None else None
        data["made_at"] = self.made_at.isoformat()
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Receipt:
        def day(value: object) -> dt.date | None:
            return dt.date.fromisoformat(value) if isinstance(value, str) else None

        return cls(
            reference=str(data["reference"]),
            outbox_id=str(data["outbox_id"]),
            service=str(data["service"]),
            holder_masked=str(data["holder_masked"]),
            fee_yuan=int(data["fee_yuan"]),
            fee_reason=str(data["fee_reason"]),
            due=day(data.get("due")),
            due_provisional=bool(data.get("due_provisional")),
            instant=bool(data.get("instant")),
            branch=str(data["branch"]),
            teller=str(data["teller"]),
            made_at=dt.datetime.fromisoformat(str(data["made_at"])),
            cancelled_by=day(data.get("cancelled_by")),
        )


def receipt_for(accepted: Accepted, desk: Desk, when: dt.datetime) -> Receipt:
    """The receipt of a request the counter has just accepted."""
    from branch_app.domain.lifecycle import command_to_dict

    return Receipt(
        reference=accepted.reference,
        outbox_id=accepted.outbox_id,
        service=service_of(command_to_dict(accepted.command)),
        holder_masked=accepted.holder_masked,
        fee_yuan=accepted.fee.amount_yuan,
        fee_reason=accepted.fee.reason.value,
        due=accepted.due.date if accepted.due is not None else None,
        due_provisional=bool(accepted.due and accepted.due.provisional),
        instant=accepted.instant,
        branch=desk.branch,
        teller=desk.staff_id,
        made_at=when,
        cancelled_by=accepted.cancelled_by.date if accepted.cancelled_by is not None else None,
    )


def next_steps(receipt: Receipt, language: Language) -> list[str]:
    """What happens next, in sentences."""
    lines: list[str] = []
    if receipt.instant:
        lines.append(t("receipt.next.instant", language))
    elif receipt.due is not None:
        lines.append(t("receipt.next.collect", language, due=receipt.due.isoformat()))
        if receipt.due_provisional:
            lines.append(t("receipt.next.provisional", language))
    elif receipt.cancelled_by is not None:
        lines.append(t("receipt.next.cancelled_by", language, day=receipt.cancelled_by.isoformat()))
    else:
        lines.append(t(_next_key(receipt.service), language))
    lines.append(t("receipt.next.hotline", language, hotline=HOTLINE))
    return lines


def _next_key(service: str) -> str:
    """The service's own "what next" line if its catalog has one (a new service adds it there,
    nothing here), else the general one."""
    key = f"receipt.next.{service}"
    return key if key in catalog() else "receipt.next.other"


def receipt_lines(receipt: Receipt, language: Language) -> list[tuple[str, str]]:
    """(label, value) in order: the receipt's body in one language."""
    fee = t("receipt.fee_amount", language, amount=receipt.fee_yuan)
    due = (
        t("receipt.due_instant", language)
        if receipt.instant
        else receipt.due.isoformat()
        if receipt.due is not None
        else t("receipt.none", language)
    )
    return [
        (t("receipt.label.reference", language), receipt.reference),
        (t("receipt.label.service", language), t(f"receipt.service.{receipt.service}", language)),
        (t("receipt.label.holder", language), receipt.holder_masked),
        (t("receipt.label.fee", language), fee),
        (t("receipt.label.fee_reason", language), t(f"domain.fee.{receipt.fee_reason}", language)),
        (t("receipt.label.due", language), due),
        (t("receipt.label.branch", language), receipt.branch),
        (t("receipt.label.teller", language), receipt.teller),
        (t("receipt.label.time", language), f"{receipt.made_at:%Y-%m-%d %H:%M}"),
    ]


def _pdf(font: Path | None) -> Any:
    import logging

    from fpdf import FPDF

    logging.getLogger("fontTools.subset").setLevel(logging.ERROR)  # "BDF NOT subset" noise
    pdf = FPDF(format=(148, 210))  # A5 in mm
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.add_font("cjk", fname=str(font or find_cjk_font()))
    pdf.set_font("cjk", size=11)
    pdf.set_creator("gz-sscard-branch")
    return pdf


def _write_lines(pdf: Any, title: str, rows: Iterable[tuple[str, str]], notes: list[str]) -> None:
    pdf.add_page()
    pdf.set_font_size(15)
    pdf.cell(0, 10, title, new_x="LMARGIN", new_y="NEXT", align="C")
    pdf.set_font_size(11)
    for label, value in rows:
        pdf.multi_cell(0, 7, f"{label}: {value}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    for note in notes:
        pdf.multi_cell(0, 6, note, new_x="LMARGIN", new_y="NEXT")


def render_pdf(
    receipt: Receipt, path: Path, language: Language = Language.CHINESE, *, font: Path | None = None
) -> Path:
    """Write the receipt to `path` as a PDF with the CJK font embedded; returns `path`."""
    return render_document(
        t("receipt.title", language),
        receipt_lines(receipt, language),
        next_steps(receipt, language),
        path,
        font=font,
    )


def render_document(
    title: str,
    rows: Iterable[tuple[str, str]],
    notes: list[str],
    path: Path,
    *,
    font: Path | None = None,
) -> Path:
    """A one-section PDF (a title, `label: value` rows, then notes): the receipt and the day's
    summary share it."""
    pdf = _pdf(font)
    _write_lines(pdf, title, rows, notes)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    pdf.output(str(tmp))
    tmp.replace(path)
    return path
