"""Every command proves its maker (issue 10, finding 4), on SQLite and PostgreSQL.

The finding: with no staff session a device pushed an unlock as actor S001 (a supervisor) and it
was applied, and a teller's cancellation without the second person's approval was applied: the
central believed the `actor` and `approved_by` the device wrote. Now a command is taken only with
its actor's signature, made with the key registered for that person on the sending device at
their online log-in, and a command naming an approver only with the approver's signature too.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select, update

from branch_app.domain.lifecycle import CardState, FunctionStatus
from central import models
from central.auth import add_staff, deactivate_staff, password_hasher
from sync.protocol import MAKER, public_key_text, signature_text, signing_bytes
from tests.central.conftest import (
    PASSWORD,
    TEST_SETTINGS,
    World,
    active_record,
    cancel,
    holder_id,
    unlock,
)
from tests.signing_keys import _Fields

LOSS: dict[str, Any] = {"kind": "report_loss", "channel": "card_bank_branch"}


def lost_card(world: World, n: int) -> str:
    """A card reported lost at the central: an unlock would change it."""
    world.service.put_record(
        active_record(
            n,
            card_state=CardState.LOSS_REPORTED,
            social_security=FunctionStatus.FROZEN,
            financial=FunctionStatus.FROZEN,
        )
    )
    return holder_id(n)


def outcome(result: dict[str, Any]) -> tuple[str, str | None]:
    return result["outcome"], result["reason"]


def test_an_unsigned_unlock_in_a_supervisors_name_is_rejected(world: World) -> None:
    """The finding reproduced: the device token alone, actor S001, no signature."""
    holder = lost_card(world, 1)
    before = world.record(holder)

    [result] = world.push(
        world.counter, world.command(world.counter, holder, unlock(1), actor="S001"), sign=False
    )

    assert outcome(result) == ("rejected", "maker_not_proven")
    assert result["record"] is None
    assert world.record(holder) == before


def test_a_teller_cancellation_without_the_approvers_signature_is_rejected(
    world: World,
) -> None:
    """The teller signs; the payload names S001, who never signed: not applied."""
    world.service.put_record(active_record(2))
    holder = holder_id(2)
    before = world.record(holder)
    command = world.command(world.counter, holder, cancel(approved_by="S001"))

    [result] = world.push(world.counter, world.signed(command, approver_signs=False))

    assert outcome(result) == ("rejected", "approver_not_proven")
    assert world.record(holder) == before


def test_the_approvers_signature_must_be_an_approval_not_a_makers(world: World) -> None:
    """S001's maker-signature over the same command does not stand for an approval."""
    world.service.put_record(active_record(3))
    holder = holder_id(3)
    command = world.command(world.counter, holder, cancel(approved_by="S001"))
    signed = world.signed(command, approver_signs=False)
    s001 = world.keys.key("S001", world.counter.device_id)
    signed["approver_signature"] = s001.sign(_Fields(command), MAKER)

    [result] = world.push(world.counter, signed)

    assert outcome(result) == ("rejected", "approver_not_proven")


def test_a_command_signed_by_a_teller_but_sent_as_the_supervisor_is_rejected(
    world: World,
) -> None:
    holder = lost_card(world, 4)
    command = world.command(world.counter, holder, unlock(4), actor="S001")

    [result] = world.push(world.counter, world.signed(command, signer="T001"))

    assert outcome(result) == ("rejected", "maker_not_proven")
    assert world.record(holder)["card_state"] == "loss_reported"  # type: ignore[index]


def test_a_signed_command_with_an_altered_payload_is_rejected(world: World) -> None:
    holder = lost_card(world, 5)
    signed = world.signed(world.command(world.counter, holder, unlock(5)))
    signed["payload"] = unlock(5, at_card_bank=False)  # changed after signing

    [result] = world.push(world.counter, signed)

    assert outcome(result) == ("rejected", "maker_not_proven")


def test_signed_commands_are_applied_and_the_approver_is_the_one_who_signed(
    world: World,
) -> None:
    lost = lost_card(world, 6)
    world.service.put_record(active_record(7))
    dead = holder_id(7)

    unlocked, cancelled = world.push(
        world.counter,
        world.command(world.counter, lost, unlock(6)),
        world.command(world.counter, dead, cancel(approved_by="S001")),
    )

    assert outcome(unlocked) == ("applied", None)
    assert outcome(cancelled) == ("applied", None)
    assert world.record(dead)["card_state"] == "cancelled"  # type: ignore[index]


def test_a_key_registered_on_another_device_proves_nothing_here(world: World) -> None:
    """T001's key on the counter device cannot sign for the instant device's commands."""
    holder = lost_card(world, 8)
    command = world.command(world.instant, holder, unlock(8))
    counter_key = world.keys.key("T001", world.counter.device_id)
    command["signature"] = counter_key.sign(_Fields(command), MAKER)

    [result] = world.push(world.instant, command)

    assert outcome(result) == ("rejected", "maker_not_proven")


def test_an_expired_key_proves_nothing(world: World) -> None:
    holder = lost_card(world, 9)
    world.keys.key("T001", world.counter.device_id)
    keys = models.staff_signing_keys
    with world.database.write() as conn:
        conn.execute(
            update(keys).values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
        )

    [result] = world.push(world.counter, world.command(world.counter, holder, unlock(9)))

    assert outcome(result) == ("rejected", "maker_not_proven")


def test_a_withdrawn_persons_key_proves_nothing(world: World) -> None:
    """A new password (add-staff) withdraws the person's keys; deactivation too."""
    first, second = lost_card(world, 10), lost_card(world, 11)
    world.keys.key("T001", world.counter.device_id)
    world.keys.key("T002", world.counter.device_id)
    with world.database.write() as conn:
        add_staff(
            conn,
            password_hasher(TEST_SETTINGS),
            staff_id="T001",
            name="Staff T001",
            role="teller",
            branch=world.counter.branch,
            password="a new password 2",
        )
        assert deactivate_staff(conn, "T002")
        left = conn.execute(select(models.staff_signing_keys.c.staff_id)).scalars().all()
    assert left == []

    changed, gone = world.push(
        world.counter,
        world.command(world.counter, first, unlock(10)),
        world.command(world.counter, second, unlock(11), actor="T002"),
    )

    assert outcome(changed) == ("rejected", "maker_not_proven")
    assert outcome(gone) == ("rejected", "unknown_actor")  # deactivated: refused before


def test_an_online_login_registers_the_devices_key_for_the_offline_window(
    world: World,
) -> None:
    """The device makes the key; the log-in carries its public half; commands signed with the
    private half are applied, and only for that person."""
    private = Ed25519PrivateKey.generate()
    public = public_key_text(private.public_key().public_bytes_raw())
    answer = world.client.post(
        "/v1/sessions",
        json={"staff_id": "T001", "password": PASSWORD, "signing_key": public},
        headers=world.headers(world.counter),
    )
    assert answer.status_code == 200, answer.text
    expires = dt.datetime.fromisoformat(answer.json()["signing_key_expires_at"])
    window = dt.timedelta(days=TEST_SETTINGS.offline_login_days)
    assert abs(expires - (dt.datetime.now(dt.UTC) + window)) < dt.timedelta(minutes=1)

    holder = lost_card(world, 12)
    mine = world.command(world.counter, holder, unlock(12))
    mine["signature"] = signature_text(public, private.sign(signing_bytes(_Fields(mine), MAKER)))
    as_supervisor = world.command(world.counter, holder, LOSS, actor="S001")
    as_supervisor["signature"] = signature_text(
        public, private.sign(signing_bytes(_Fields(as_supervisor), MAKER))
    )

    applied, refused = world.push(world.counter, mine, as_supervisor)

    assert outcome(applied) == ("applied", None)
    assert outcome(refused) == ("rejected", "maker_not_proven")


def test_a_wrong_password_registers_no_key(world: World) -> None:
    private = Ed25519PrivateKey.generate()
    public = public_key_text(private.public_key().public_bytes_raw())
    answer = world.client.post(
        "/v1/sessions",
        json={"staff_id": "T001", "password": "wrong password", "signing_key": public},
        headers=world.headers(world.counter),
    )
    assert answer.status_code == 401
    with world.database.read() as conn:
        assert conn.execute(select(models.staff_signing_keys)).first() is None


def test_a_retry_with_its_signature_is_a_duplicate(world: World) -> None:
    """The signatures are part of the body: the same signed body again is a duplicate."""
    holder = lost_card(world, 13)
    signed = world.signed(world.command(world.counter, holder, unlock(13)))
    first = world.push(world.counter, signed)
    again = world.push(world.counter, signed)
    assert outcome(first[0]) == ("applied", None)
    assert again[0]["outcome"] == "duplicate"
