"""The supervisor's tools in words: a queued request's kind, why the central refused it, and the
central's record of a holder (the counter's own words for states and functions)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from branch_app.domain.lifecycle import CommandFormatError, command_from_dict
from branch_app.i18n import t
from branch_app.ui.counter_text import describe_command


def kind_text(kind: str, payload: Any) -> str:
    """The command as the counter words it (`report loss at the card's bank`), else its kind."""
    try:
        return describe_command(command_from_dict(dict(payload)))
    except (CommandFormatError, KeyError, TypeError, ValueError):
        key = f"counter.kind_name.{kind}"
        text = t(key)
        return kind if text == key else text


def kind_short(kind: str, payload: Any) -> str:
    """The request in a table cell: the application's kind, or the command's name."""
    application = payload.get("application") if isinstance(payload, dict) else None
    if kind == "apply" and isinstance(application, str):
        key = f"counter.kind.{application}"
        text = t(key)
        if text != key:
            return text
    key = f"counter.kind_name.{kind}"
    text = t(key)
    return kind if text == key else text


def reason_text(reason: str | None, message: str | None = None) -> str:
    """Why the central (or the local check) refused an item, in catalog words.

    Lifecycle reasons are the domain's; rejection codes and local checks are this catalog's;
    an unknown code is shown as it is, with the central's English message."""
    if not reason:
        return t("supervisor.reason.none")
    for key in (f"domain.refusal.{reason}", f"supervisor.reason.{reason}"):
        text = t(key)
        if text != key:
            return text
    return t("supervisor.reason.other", code=reason, message=message or "").strip()


def record_lines(record: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    """The central's record in words (the counter's own words for states and functions)."""
    if not record:
        return [(t("supervisor.conflicts.record"), t("supervisor.conflicts.no_record"))]
    dash = t("counter.query.none")
    application = record.get("application")
    lines = [
        (t("counter.query.state"), t(f"counter.state.{record.get('card_state', 'no_card')}")),
        (t("counter.query.card_number"), str(record.get("card_number") or dash)),
        (
            t("counter.query.social_security"),
            t(f"counter.function.{record.get('social_security', 'none')}"),
        ),
        (t("counter.query.financial"), t(f"counter.function.{record.get('financial', 'none')}")),
        (t("counter.query.bank"), str(record.get("bank") or dash)),
    ]
    if isinstance(application, Mapping):
        lines.append(
            (
                t("counter.query.application"),
                t(
                    "supervisor.conflicts.application",
                    kind=t(f"counter.kind.{application.get('kind', 'first')}"),
                    status=t(f"counter.app_status.{application.get('status', 'in_production')}"),
                ),
            )
        )
    lines.append((t("counter.query.version"), str(record.get("version", 0))))
    return lines
