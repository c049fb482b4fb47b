"""The engine writes a batch's body without building the protocol's models (`encode_batch`):
the central must read exactly what `encode_push` of the models would have said, for every
shape an outbox item takes (with or without its document kind, its maker's and its approver's
signatures)."""

from __future__ import annotations

import dataclasses

import orjson
import pytest

from branch_app.domain.identity import IdentityKind
from sync.engine import WireCommands, encode_batch, wire_command, wire_entry
from sync.protocol import PushRequest, encode_push
from tests.sync.fakes import FakeItem

SIGNATURE = "873078fda6402a305057b2cca62c6b23." + "A" * 86


@dataclasses.dataclass(frozen=True)
class SignedItem(FakeItem):
    signature: str | None = None
    approver_signature: str | None = None


def _item(n: int, **how: object) -> SignedItem:
    return SignedItem(
        id=f"item-{n:04d}-abcdef",
        seq=n,
        kind="report_loss",
        holder_id="440106198101010016",
        payload={"kind": "report_loss", "channel": "counter", "nested": {"list": [1, "二"]}},
        base_version=3,
        **how,
    )


SHAPES = {
    "bare": {},
    "with its kind": {"holder_kind": IdentityKind.PASSPORT},
    "signed": {"signature": SIGNATURE},
    "signed twice": {"signature": SIGNATURE, "approver_signature": SIGNATURE},
}


@pytest.mark.parametrize("how", SHAPES.values(), ids=SHAPES.keys())
def test_the_fast_body_says_what_the_models_say(how: dict[str, object]) -> None:
    items = [_item(1, **how), _item(2)]
    fast = orjson.loads(encode_batch(items))
    models = orjson.loads(encode_push([wire_command(item) for item in items]))
    assert fast == models
    assert fast["commands"][0] == wire_entry(items[0])
    # and the central's own strict model reads it as the same commands
    assert PushRequest.model_validate_json(encode_batch(items)) == PushRequest.model_validate_json(
        encode_push([wire_command(item) for item in items])
    )


def test_the_commands_are_made_only_when_asked_for() -> None:
    items = [_item(n) for n in range(1, 4)]
    commands = WireCommands(items)
    assert len(commands) == 3
    assert [c.id for c in commands] == [item.id for item in items]
    assert [c.seq for c in commands[1:]] == [2, 3]
    assert commands[-1] == wire_command(items[-1])
