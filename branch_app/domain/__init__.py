"""Pure rules of the social security card domain: no IO, no textual, tinydb or httpx.

The submodules are the contract (docs/ARCHITECTURE.md, "Code map"); the public names are
re-exported here lazily (PEP 562), so that importing one light submodule (the vocabulary, say, from
the configuration at start-up) does not load the rest. Calendar libraries are imported lazily inside
`workdays` too.
"""

from __future__ import annotations

import importlib
from typing import Any

#: Each public name and the submodule that defines it.
_SOURCES: dict[str, str] = {
    "ApplicantAction": "branch_app.domain.roles",
    "ApplicationKind": "branch_app.domain.lifecycle",
    "ApplicationStatus": "branch_app.domain.lifecycle",
    "Applied": "branch_app.domain.lifecycle",
    "Apply": "branch_app.domain.lifecycle",
    "CalendarOverrideError": "branch_app.domain.workdays",
    "Cancel": "branch_app.domain.lifecycle",
    "CancellationReason": "branch_app.domain.lifecycle",
    "CardIdentificationCode": "branch_app.domain.card_number",
    "CardNumberCheck": "branch_app.domain.card_number",
    "CardNumberError": "branch_app.domain.card_number",
    "CardRecord": "branch_app.domain.lifecycle",
    "CardState": "branch_app.domain.lifecycle",
    "Command": "branch_app.domain.lifecycle",
    "CommandFormatError": "branch_app.domain.lifecycle",
    "ConfirmCollection": "branch_app.domain.lifecycle",
    "ConfirmIssuance": "branch_app.domain.lifecycle",
    "Decision": "branch_app.domain.lifecycle",
    "DueDate": "branch_app.domain.workdays",
    "ExchangeReason": "branch_app.domain.lifecycle",
    "FeeDecision": "branch_app.domain.fees",
    "FeeReason": "branch_app.domain.fees",
    "FunctionStatus": "branch_app.domain.lifecycle",
    "IdentityError": "branch_app.domain.identity",
    "IdentityKind": "branch_app.domain.identity",
    "IdentityNumber": "branch_app.domain.identity",
    "IssuanceSpeed": "branch_app.domain.lifecycle",
    "LossChannel": "branch_app.domain.lifecycle",
    "Merged": "branch_app.domain.lifecycle",
    "PendingApplication": "branch_app.domain.lifecycle",
    "Permission": "branch_app.domain.roles",
    "Place": "branch_app.domain.roles",
    "Presenter": "branch_app.domain.roles",
    "RefusalReason": "branch_app.domain.lifecycle",
    "Refused": "branch_app.domain.lifecycle",
    "ReportLoss": "branch_app.domain.lifecycle",
    "Role": "branch_app.domain.roles",
    "Sex": "branch_app.domain.identity",
    "Unlock": "branch_app.domain.lifecycle",
    "age_on": "branch_app.domain.identity",
    "card_number_check_character": "branch_app.domain.card_number",
    "check_applicant": "branch_app.domain.roles",
    "check_card_number": "branch_app.domain.card_number",
    "command_from_dict": "branch_app.domain.lifecycle",
    "command_to_dict": "branch_app.domain.lifecycle",
    "decide": "branch_app.domain.lifecycle",
    "due_date": "branch_app.domain.workdays",
    "fee_for": "branch_app.domain.fees",
    "is_working_day": "branch_app.domain.workdays",
    "mask_identity": "branch_app.domain.identity",
    "parse_calendar_overrides": "branch_app.domain.workdays",
    "parse_card_identification_code": "branch_app.domain.card_number",
    "parse_identity": "branch_app.domain.identity",
    "permission": "branch_app.domain.roles",
    "record_from_dict": "branch_app.domain.lifecycle",
    "record_to_dict": "branch_app.domain.lifecycle",
    "resident_check_character": "branch_app.domain.identity",
}

__all__ = [
    "ApplicantAction",
    "ApplicationKind",
    "ApplicationStatus",
    "Applied",
    "Apply",
    "CalendarOverrideError",
    "Cancel",
    "CancellationReason",
    "CardIdentificationCode",
    "CardNumberCheck",
    "CardNumberError",
    "CardRecord",
    "CardState",
    "Command",
    "CommandFormatError",
    "ConfirmCollection",
    "ConfirmIssuance",
    "Decision",
    "DueDate",
    "ExchangeReason",
    "FeeDecision",
    "FeeReason",
    "FunctionStatus",
    "IdentityError",
    "IdentityKind",
    "IdentityNumber",
    "IssuanceSpeed",
    "LossChannel",
    "Merged",
    "PendingApplication",
    "Permission",
    "Place",
    "Presenter",
    "RefusalReason",
    "Refused",
    "ReportLoss",
    "Role",
    "Sex",
    "Unlock",
    "age_on",
    "card_number_check_character",
    "check_applicant",
    "check_card_number",
    "command_from_dict",
    "command_to_dict",
    "decide",
    "due_date",
    "fee_for",
    "is_working_day",
    "mask_identity",
    "parse_calendar_overrides",
    "parse_card_identification_code",
    "parse_identity",
    "permission",
    "record_from_dict",
    "record_to_dict",
    "resident_check_character",
]


def __getattr__(name: str) -> Any:
    source = _SOURCES.get(name)
    if source is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(source), name)
    globals()[name] = value
    return value
