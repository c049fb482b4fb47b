"""A counter request in words: the service as the teller names it, its fee and dates, a refusal
with what to do next, and the `label  value` table the confirm step and the answers print.

Shared by the counter screens, the confirm dialog and the supervisor's tools.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text

from branch_app.domain.lifecycle import (
    Apply,
    Cancel,
    Command,
    ConfirmCollection,
    ConfirmIssuance,
    ReportLoss,
    Unlock,
)
from branch_app.domain.vocabulary import LossChannel
from branch_app.i18n import catalog, t

if TYPE_CHECKING:
    from branch_app.domain.workdays import DueDate
    from branch_app.services.counter import Accepted, Preview, Refusal


def describe_command(command: Command) -> str:
    """The service as the teller and the holder call it, in the current language."""
    match command:
        case Apply():
            text = t(
                "counter.action.apply",
                application=t(f"counter.kind.{command.application.value}"),
                speed=t(f"counter.speed.{command.speed.value}"),
            )
            if command.exchange_reason is not None:
                text += f" ({t(f'counter.exchange_reason.{command.exchange_reason.value}')})"
            return text
        case ReportLoss():
            if command.channel is LossChannel.CARD_BANK_BRANCH:
                return t("counter.action.report_loss_card_bank")
            return t("counter.action.report_loss_other_bank")
        case Unlock():
            if command.at_card_bank:
                return t("counter.action.unlock_card_bank")
            return t("counter.action.unlock_other_bank")
        case Cancel():
            return t(
                "counter.action.cancel", reason=t(f"counter.cancel_reason.{command.reason.value}")
            )
        case ConfirmCollection():
            return t("counter.action.confirm_collection")
        case ConfirmIssuance():
            return t("counter.action.confirm_issuance", card_number=command.card_number)
    return t(f"counter.action.{command.kind}")  # a service whose words need no parameters


def fee_text(preview: Preview) -> str:
    fee = preview.fee
    return t("counter.fee.amount", amount=fee.amount_yuan, reason=t(fee.message_key))


def due_text(preview: Preview) -> str | None:
    """When the new card is ready, or `None` for a service that makes no card."""
    from branch_app.services.counter import INSTANT_READY_KEY

    if preview.instant:
        return t(INSTANT_READY_KEY)
    if preview.due is None:
        return None
    date = preview.due.date.isoformat()
    key = "counter.due.provisional" if preview.due.provisional else "counter.due.date"
    return t(key, date=date)


def dated_text(key: str, due: DueDate | None) -> str | None:
    """`key`'s sentence with the due date (its `.provisional` variant on an unpublished
    calendar), or `None` when there is no date."""
    if due is None:
        return None
    return t(f"{key}.provisional" if due.provisional else f"{key}.date", date=due.date.isoformat())


def outcome_lines(preview: Preview) -> list[tuple[str, str]]:
    """What the confirm step and the accepted answer both show: who, what, fee, dates."""
    lines = [
        (t("counter.confirm.holder"), preview.holder_masked),
        (t("counter.confirm.action"), describe_command(preview.command)),
        (t("counter.confirm.fee"), fee_text(preview)),
    ]
    due = due_text(preview)
    if due is not None:
        lines.append((t("counter.confirm.due"), due))
    for label, key, date in (
        ("counter.confirm.old_account", "counter.old_account", preview.old_account_closes),
        ("counter.confirm.cancelled_by", "counter.cancelled_by", preview.cancelled_by),
    ):
        text = dated_text(key, date)
        if text is not None:
            lines.append((t(label), text))
    return lines


def accepted_lines(
    accepted: Accepted, *, online: bool, central: tuple[bool, str] | None = None
) -> list[str]:
    """The heading of an accepted request's answer (issue 12, bugs 5, 6, 12).

    The same request already queued says so with the first one's reference; otherwise
    "queued, sent when online" only when offline, "sending" when online, and once the central
    answered (`central`: applied, or refused with its reason) that answer."""
    if accepted.queued_as:
        return [t("counter.result.already_queued", reference=accepted.queued_as)]
    if central is not None:
        applied, reason = central
        fate = (
            t("counter.result.applied")
            if applied
            else t("counter.result.refused_by_central", reason=reason)
        )
        lines = [t("counter.result.accepted_fate", reference=accepted.reference, fate=fate)]
    elif online:
        lines = [t("counter.result.accepted_online", reference=accepted.reference)]
    else:
        lines = [t("counter.result.accepted", reference=accepted.reference)]
    if accepted.merged:
        lines.append(t("counter.result.merged"))
    if accepted.awaits_central and central is None:
        lines.append(t("counter.result.awaits_central"))
    return lines


def refusal_text(refusal: Refusal) -> str:
    """The refusal in plain words, every reason found, then what to do next."""
    reasons = [t(refusal.message_key, None, **refusal.params)]
    reasons += [t(more.message_key, None, **more.params) for more in refusal.more]
    lines = [t("counter.result.refused", reason=" ".join(reasons))]
    if refusal.awaits_central:  # decided offline on no record: say which check waits
        lines.append(t("counter.result.refused_offline"))
    next_key = f"counter.next.{refusal.code}"
    if next_key not in catalog():
        next_key = "counter.next.default"
    lines.append(t("counter.result.next", next=t(next_key)))
    lines.append(t("counter.result.nothing_written"))
    return "\n".join(lines)


def table(lines: list[tuple[str, str]]) -> Text:
    """`label  value` lines, the labels in bold."""
    text = Text()
    for index, (label, value) in enumerate(lines):
        if index:
            text.append("\n")
        text.append(f"{label}  ", style="bold")
        text.append(value)
    return text
