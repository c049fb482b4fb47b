"""The next batch is chosen while one travels; that choice must never break a card's order."""

from __future__ import annotations

from sync.engine import SyncEngine
from tests.sync.fakes import FakeOutbox
from tests.sync.test_sync_engine_unit import FAST, ScriptedCentral, fill


def _sent_in_order(central: ScriptedCentral) -> list[str]:
    return [item_id for batch in central.batches for item_id in batch]


def test_a_prepared_batch_holding_a_failed_cards_later_item_is_not_sent() -> None:
    outbox, central = FakeOutbox(), ScriptedCentral()
    fill(outbox, 8, cards=2)  # H0, H1, H0, H1, ...: the next batch holds H1's next item
    items = sorted(outbox.items.values(), key=lambda i: i.seq)
    stuck = items[1]  # H1's first item, in the first batch
    central.failing_ids = {stuck.id}
    engine = SyncEngine(outbox, central, batch_size=2, retry=FAST, pipeline=True)
    summary = engine.run()
    assert summary.ok
    later_h1 = {i.id for i in items if i.holder_id == "H1" and i.seq > stuck.seq}
    assert not later_h1 & set(_sent_in_order(central))  # none overtook the failed one
    assert {outbox.items[i].status for i in later_h1} == {"pending"}
    assert {outbox.items[i.id].status for i in items if i.holder_id == "H0"} == {"accepted"}
    central.failing_ids.clear()
    assert engine.run().ok and outbox.counts() == {"accepted": 8}


def test_prepared_batches_follow_the_same_order_as_chosen_ones() -> None:
    def drain(pipeline: bool) -> list[int]:
        outbox, central = FakeOutbox(), ScriptedCentral()
        fill(outbox, 23, cards=4)
        engine = SyncEngine(outbox, central, batch_size=5, retry=FAST, pipeline=pipeline)
        assert engine.run().ok and outbox.counts() == {"accepted": 23}
        return [outbox.items[i].seq for i in _sent_in_order(central)]

    assert drain(pipeline=True) == drain(pipeline=False) == list(range(1, 24))
