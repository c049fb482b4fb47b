"""The supervisor's decisions without a screen: which corrections the counter may offer for a
conflict, the required note, and the words for a refusal."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from branch_app.domain.lifecycle import (
    ApplicationKind,
    Apply,
    CardRecord,
    CardState,
    ExchangeReason,
    FunctionStatus,
    IssuanceSpeed,
    LossChannel,
    ReportLoss,
    Unlock,
    command_to_dict,
    record_to_dict,
)
from branch_app.i18n import Language, set_language
from branch_app.services.supervisor import correction_choices, mask, note_problem
from branch_app.ui.supervisor_text import kind_short, reason_text

from .conftest import NOW, holder, photo

TODAY = dt.date(2025, 3, 14)
EXCHANGE = command_to_dict(
    Apply(ApplicationKind.EXCHANGE, IssuanceSpeed.NORMAL, TODAY, ExchangeReason.DAMAGE, **photo())
)


def lost_online(bank: str = "icbc") -> dict:
    """A card in use, reported lost online: the social security function frozen only."""
    return record_to_dict(
        CardRecord(
            holder_id=holder(1),
            version=4,
            card_number="X00000019",
            card_state=CardState.LOSS_REPORTED,
            social_security=FunctionStatus.FROZEN,
            financial=FunctionStatus.NORMAL,
            bank=bank,
        )
    )


def test_a_lost_card_may_be_corrected_by_replacement_or_freezing_the_account() -> None:
    choices = correction_choices(lost_online(), EXCHANGE, place="branch", bank="icbc", today=TODAY)
    assert choices == [
        ReportLoss(channel=LossChannel.CARD_BANK_BRANCH),  # freezes the bank account too
        Apply(ApplicationKind.REPLACEMENT, IssuanceSpeed.NORMAL, TODAY, **photo()),
    ]  # the exchange itself is still refused, so it is not offered; the photo is carried over
    # An unlock needs the found card, which only the counter sees: never made up here.
    assert not any(isinstance(c, Unlock) for c in choices)


def test_at_another_bank_the_loss_report_freezes_both_functions_too() -> None:
    choices = correction_choices(
        lost_online(bank="boc"), EXCHANGE, place="branch", bank="icbc", today=TODAY
    )
    assert ReportLoss(channel=LossChannel.OTHER_BANK_BRANCH) in choices


def test_a_home_visit_offers_no_unlock() -> None:
    found = command_to_dict(Unlock(at_card_bank=True, card_number="X00000019", card_read=True))
    choices = correction_choices(lost_online(), found, place="home_visit", bank="icbc", today=TODAY)
    assert choices and not any(isinstance(c, Unlock) for c in choices)


def test_a_cancelled_card_allows_no_correction() -> None:
    cancelled = record_to_dict(
        CardRecord(holder_id=holder(2), version=2, card_state=CardState.CANCELLED)
    )
    assert correction_choices(cancelled, EXCHANGE, place="branch", bank="icbc", today=TODAY) == []


def test_the_refused_command_is_offered_again_when_it_would_now_apply() -> None:
    found = Unlock(at_card_bank=True, card_number="X00000019", card_read=True)
    unlock = command_to_dict(found)
    choices = correction_choices(lost_online(), unlock, place="branch", bank="icbc", today=TODAY)
    assert choices[0] == found
    assert choices.count(found) == 1
    # A refused unlock names no photo: a replacement is taken at the counter, not offered here.
    assert not any(isinstance(c, Apply) for c in choices)


@pytest.mark.parametrize(
    ("note", "problem"),
    [
        ("", "supervisor.note.too_short"),
        ("  ok ", "supervisor.note.too_short"),
        ("Told the holder", None),
        ("x" * 501, "supervisor.note.too_long"),
    ],
)
def test_a_note_is_required(note: str, problem: str | None) -> None:
    assert note_problem(note) == problem


def test_refusals_in_words_in_both_languages() -> None:
    try:
        set_language(Language.ENGLISH)
        assert reason_text("card_cancelled").startswith("The card")  # the domain's words
        assert "another device" in reason_text("device_mismatch")  # a rejection code
        assert reason_text("brand_new_code", "Central says no") == (
            "refused (brand_new_code) Central says no"
        )
        assert kind_short("apply", {"application": "replacement"}) == "Replacement (card lost)"
        assert kind_short("report_loss", {}) == "loss report"
        set_language(Language.CHINESE)
        assert reason_text("device_mismatch") == "业务所列设备与本机不符"
        assert reason_text(None) == "未说明原因"
    finally:
        set_language(Language.ENGLISH)
    assert mask(holder(3)) == holder(3)[:6] + "********" + holder(3)[-4:]


def test_without_an_online_session_the_local_conflicts_are_listed_and_why(store) -> None:
    """An offline sign-in has no session for the conflict API: the outbox's list, and why."""
    from types import SimpleNamespace

    from branch_app.services.supervisor import read_conflicts

    from .test_supervisor_local import queue_with_answers

    items = queue_with_answers(store)
    found = read_conflicts(SimpleNamespace(staff_session=None), store)
    assert found.source == "local" and found.problem == "supervisor.conflicts.no_session"
    assert [row.command_id for row in found.rows] == [items["conflict"].id]
    assert found.rows[0].conflict_id is None and found.rows[0].reason == "card_cancelled"
    assert read_conflicts(None, store).problem == "supervisor.conflicts.no_sync"


def test_a_conflict_row_never_shows_the_full_number_in_its_repr() -> None:
    from branch_app.services.supervisor import conflict_row
    from sync.protocol import ConflictView

    number = holder(5)
    row = conflict_row(
        ConflictView.model_validate(
            {
                "id": 7,
                "command_id": "c" * 32,
                "holder_id": number,
                "kind": "apply",
                "reason": "card_cancelled",
                "record": {"holder_id": number},
                "command": {"payload": {}, "made_at": "2025-03-14T02:30:00.000Z"},
                "actor": "T001",
                "device": "PC-07",
                "branch": "GZ-001",
                "opened_at": "2025-03-14T02:31:00.000Z",
                "status": "open",
            }
        )
    )
    assert row.holder_id == number and row.holder_masked == mask(number)
    assert number not in repr(row)


def test_a_decision_the_central_took_but_the_device_could_not_write_is_said_so(
    store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Unit test of the decision only (the central's answer is a stand-in): a failed local
    write after the central resolved says exactly that, never 'nothing was changed'."""
    from contextlib import nullcontext
    from types import SimpleNamespace

    from branch_app.domain.vocabulary import ConflictDecision, ConflictStatus
    from branch_app.services.supervisor import (
        Resolution,
        ResolvedNotRecorded,
        SupervisorDesk,
        local_conflict_row,
        resolve,
    )
    from branch_app.ui.screens.supervisor_conflicts import error_text
    from sync.protocol import ConflictView, ResolveConflictResponse

    from .test_supervisor_local import queue_with_answers

    item = queue_with_answers(store)["conflict"]
    row = replace(local_conflict_row(item), conflict_id=9)  # as the central lists it
    view = ConflictView(
        id=9,
        command_id=row.command_id,
        holder_id=row.holder_id,
        kind=row.kind,
        reason=row.reason,
        command={"payload": dict(row.command)},
        actor=row.actor,
        device=row.device,
        branch=row.branch,
        opened_at="2025-03-14T02:31:00.000Z",
        status=ConflictStatus.RESOLVED,
        decision=ConflictDecision.UPHELD,
    )
    answer = ResolveConflictResponse(conflict=view, result=None)
    client = SimpleNamespace(decide_conflict=lambda *args: answer)
    sync = SimpleNamespace(client=lambda: nullcontext(client))

    def disk_full(*_args: object, **_kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(store.audit, "record", disk_full)
    desk = SupervisorDesk("S900", "PC-07", "GZ-001")
    with pytest.raises(ResolvedNotRecorded) as raised:
        resolve(sync, store, desk, row, Resolution("upheld", "Told the holder"), NOW)
    set_language(Language.ENGLISH)
    assert "central has resolved" in error_text(raised.value)
    assert store.outbox.get(item.id).status == "conflict"  # the next list read closes it
