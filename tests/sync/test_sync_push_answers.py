"""The device with answers that carry no record (issue 10, finding 3), against the real central.

A conflict answer tells the outcome, version and reason; the record comes only with an applied
answer (or an audited one, for a push carrying the maker's session). The engine still records the
conflict for the supervisor (whose screen looks the record up, audited), and the card cache is
kept fresh by the pull for the cards the branch follows.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from branch_app.domain.lifecycle import (
    ApplicationKind,
    Apply,
    CardState,
    IssuanceSpeed,
    ReportLoss,
    record_from_dict,
)
from branch_app.domain.vocabulary import LossChannel, OutboxStatus
from branch_app.services.supervisor import local_conflict_row
from tests.sync.helpers import TODAY, Device, holder_id, open_device

pytestmark = pytest.mark.slow

ACTOR = "T150"
LOSS = ReportLoss(LossChannel.CARD_BANK_BRANCH)


@pytest.fixture(scope="module")
def central() -> Iterator[object]:
    from central.dev.server import start_central

    with start_central(enable_channels=True) as running:
        running.add_staff(ACTOR, "teller-password-1", role="teller")
        yield running


@pytest.fixture
def device(central, tmp_path: Path) -> Iterator[Device]:
    dev = open_device(central, tmp_path / "store", ACTOR)
    try:
        yield dev
    finally:
        dev.store.close()


def test_a_conflict_without_a_record_still_reaches_the_supervisor(central, device) -> None:
    holder = holder_id(9150)
    first = Apply(ApplicationKind.FIRST, IssuanceSpeed.NORMAL, TODAY, police_photo=True)
    applied = device.enqueue(holder, first)
    again = device.enqueue(holder, LOSS)  # no card yet: a conflict (no_live_card)

    summary = device.engine(central.url).run()

    assert summary.ok, summary
    assert device.store.outbox.get(applied).status == OutboxStatus.ACCEPTED
    conflict = device.store.outbox.get(again)
    assert conflict.status == OutboxStatus.CONFLICT
    assert conflict.result is not None and conflict.result.get("record") is None
    row = local_conflict_row(conflict)  # what the supervisor's queue shows without the central
    assert (row.command_id, row.record) == (again, None)
    assert row.reason == conflict.result["reason"]
    # The applied answer's record (and the pull) keep the card cache: the pending application.
    cached = record_from_dict(device.store.card_cache.get(holder).record)
    assert cached.application is not None and cached.version == conflict.result["version"]


def test_the_pull_refreshes_a_followed_card_after_an_answer_without_a_record(
    central, device
) -> None:
    holder = holder_id(9151)
    first = Apply(ApplicationKind.FIRST, IssuanceSpeed.NORMAL, TODAY, police_photo=True)
    device.enqueue(holder, first)
    engine = device.engine(central.url)
    assert engine.run().ok
    device.enqueue(holder, LOSS)  # a conflict: no record in its answer
    with central.client(device.enrolled) as http:  # meanwhile another channel changes the card
        answer = http.post("/v1/channels/death-record", json={"holder_id": holder})
        assert answer.status_code == 200, answer.text

    summary = engine.run()

    assert summary.ok and summary.pulled >= 1
    cached = record_from_dict(device.store.card_cache.get(holder).record)
    assert cached.card_state is CardState.CANCELLED  # from the pull: the branch follows the card
