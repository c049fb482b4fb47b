"""Every domain code and name has a text in both languages, with the same placeholders."""

from __future__ import annotations

import string
from enum import StrEnum

import pytest

from branch_app.domain.card_number import CARD_ERROR_CODES
from branch_app.domain.fees import FeeReason
from branch_app.domain.identity import IDENTITY_ERROR_CODES, IdentityKind, Sex
from branch_app.domain.vocabulary import (
    ApplicationKind,
    ApplicationStatus,
    CancellationReason,
    CardState,
    CounterRefusal,
    ExchangeReason,
    FunctionStatus,
    IssuanceSpeed,
    LossChannel,
    Place,
    Presenter,
    RefusalReason,
    Role,
)
from branch_app.i18n import Language, load_catalog, t

#: The domain's words wherever they are kept: its own catalog, and a service's catalog for the
#: refusals only that service gives (`catalogs/data_change.py`, its `AREAS`).
MESSAGES = {key: pair for key, pair in load_catalog().items() if key.startswith("domain.")}


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def as_sentence(text: str) -> str:
    return text[0].upper() + text[1:] + "."


@pytest.mark.parametrize("key", sorted(MESSAGES))
def test_both_languages_with_the_same_placeholders(key: str) -> None:
    english, chinese = MESSAGES[key]
    assert english.strip() and chinese.strip()
    assert placeholders(english) == placeholders(chinese), key
    assert english != chinese


@pytest.mark.parametrize(
    ("prefix", "codes"),
    [
        ("domain.identity", IDENTITY_ERROR_CODES),
        ("domain.card", CARD_ERROR_CODES),
    ],
)
def test_every_error_code_has_its_text_and_no_text_lacks_a_code(
    prefix: str, codes: frozenset[str]
) -> None:
    """The domain's errors carry codes only; their words live once, in the catalog."""
    catalog_codes = {k.removeprefix(prefix + ".") for k in MESSAGES if k.startswith(prefix + ".")}
    assert catalog_codes == set(codes)


def test_every_refusal_reason_has_a_text_and_every_text_a_reason() -> None:
    """The texts live only in the catalogs (no prose in the domain): one per code, no strays."""
    codes = {k.removeprefix("domain.refusal.") for k in MESSAGES if k.startswith("domain.refusal.")}
    assert codes == {reason.value for reason in RefusalReason}


@pytest.mark.parametrize(
    ("prefix", "enum"),
    [("domain.refusal", RefusalReason), ("counter.refusal", CounterRefusal)],
)
def test_every_refusal_code_has_a_text_in_both_languages(prefix: str, enum: type[StrEnum]) -> None:
    catalog = load_catalog()
    missing = [m.value for m in enum if f"{prefix}.{m.value}" not in catalog]
    assert missing == []
    for member in enum:
        english, chinese = catalog[f"{prefix}.{member.value}"]
        assert english.strip() and chinese.strip() and english != chinese, member


def test_a_death_is_not_told_as_a_plain_cancellation() -> None:
    """Issue 11, finding 8: the holder's death has its own words in both languages."""
    for language in Language:
        deceased = t("domain.refusal.holder_deceased", language)
        cancelled = t("domain.refusal.card_cancelled", language)
        assert deceased != cancelled
    assert "death" in t("domain.refusal.holder_deceased", Language.ENGLISH)
    assert "身故" in t("domain.refusal.holder_deceased", Language.CHINESE)


@pytest.mark.parametrize(
    ("prefix", "enum"),
    [
        ("domain.identity_kind", IdentityKind),
        ("domain.sex", Sex),
        ("domain.card_state", CardState),
        ("domain.function", FunctionStatus),
        ("domain.application", ApplicationKind),
        ("domain.speed", IssuanceSpeed),
        ("domain.application_status", ApplicationStatus),
        ("domain.exchange_reason", ExchangeReason),
        ("domain.loss_channel", LossChannel),
        ("domain.cancellation", CancellationReason),
        ("domain.role", Role),
        ("domain.place", Place),
        ("domain.presenter", Presenter),
        ("domain.fee", FeeReason),
    ],
)
def test_every_name_is_translated(prefix: str, enum: type[StrEnum]) -> None:
    for member in enum:
        assert f"{prefix}.{member.value}" in MESSAGES


def test_texts_fill_through_t() -> None:
    text = t("domain.identity.check_character", Language.CHINESE, expected="X", got="3")
    assert text == "校验码应为 X，实际为 3。"
    assert t("domain.refusal.card_cancelled", Language.ENGLISH).startswith("The card has been")
