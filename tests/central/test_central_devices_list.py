"""The branch's devices as its supervisor sees them (issue 13): why each one is stuck (never
reported, nothing synced for the central's `stuck_after_minutes`, refused requests waiting, its
journal went back) and the stuck ones first. The decision and the order are pure (unit tests
first); then the endpoint and `central devices` on SQLite and PostgreSQL, and who is refused."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from branch_app.domain.vocabulary import Place, StuckReason
from central.auth import Authenticator, revoke_device
from central.cli import main as central_main
from central.devices import branch_devices, last_heard, order_devices, stuck_reasons
from sync.protocol import DevicesResponse, DeviceStateView
from tests.central.conftest import BRANCH, TEST_SETTINGS, World, enrol_directly

NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)


def view(name: str, **fields: Any) -> DeviceStateView:
    """A device that reported a minute ago, synced then, nothing waiting: well."""
    values: dict[str, Any] = {
        "device_id": f"id-{name}",
        "name": name,
        "place": Place.BRANCH,
        "reported_at": (NOW - dt.timedelta(minutes=1)).isoformat(),
        "last_sync": (NOW - dt.timedelta(minutes=1)).isoformat(),
        "queue_depth": 0,
        "refused_open": 0,
        "app_version": "1.0.0",
        "audit_n": 10,
    }
    values.update(fields)
    return DeviceStateView(**values)


# The decision and the order (pure) -----------------------------------------------------------


def test_a_device_that_synced_recently_with_nothing_waiting_is_well() -> None:
    assert stuck_reasons(view("a"), NOW, HOUR) == []


def test_never_reported_and_nothing_synced_for_too_long_are_stuck() -> None:
    never = view("a", reported_at=None, last_sync=None, queue_depth=None, refused_open=None)
    assert stuck_reasons(never, NOW, HOUR) == [StuckReason.NEVER_REPORTED]
    late = (NOW - 2 * HOUR).isoformat()
    assert stuck_reasons(view("b", last_sync=late), NOW, HOUR) == [StuckReason.NO_SYNC]
    # Reported, but no sync of it ever succeeded.
    assert stuck_reasons(view("c", last_sync=None), NOW, HOUR) == [StuckReason.NO_SYNC]
    # Just inside the limit: well.
    inside = (NOW - HOUR + dt.timedelta(seconds=1)).isoformat()
    assert stuck_reasons(view("d", last_sync=inside), NOW, HOUR) == []


def test_a_device_clock_ahead_cannot_look_fresher_than_its_report() -> None:
    ahead = view("a", last_sync=(NOW + HOUR).isoformat(), reported_at=(NOW - 3 * HOUR).isoformat())
    assert last_heard(ahead) == NOW - 3 * HOUR
    assert stuck_reasons(ahead, NOW, HOUR) == [StuckReason.NO_SYNC]


def test_refused_requests_and_a_journal_that_went_back_are_stuck_together() -> None:
    both = view("a", refused_open=2, audit_regressed_at=NOW.isoformat())
    assert stuck_reasons(both, NOW, HOUR) == [
        StuckReason.AUDIT_REGRESSED,
        StuckReason.REFUSED_WAITING,
    ]


def test_a_revoked_device_is_never_stuck() -> None:
    gone = view("a", revoked=True, reported_at=None, last_sync=None, refused_open=3)
    assert stuck_reasons(gone, NOW, HOUR) == []


def test_stuck_first_journal_back_first_then_the_longest_without_a_sync_revoked_last() -> None:
    views = [
        view("revoked", revoked=True, last_sync=None, reported_at=None),
        view("well-old", last_sync=(NOW - dt.timedelta(minutes=50)).isoformat()),
        view("well-new"),
        view("refused", refused_open=1),
        view("late", last_sync=(NOW - 5 * HOUR).isoformat()),
        view("never", reported_at=None, last_sync=None),
        view("journal", audit_regressed_at=NOW.isoformat()),
        view("later", last_sync=(NOW - 2 * HOUR).isoformat()),
    ]
    ordered = order_devices(views, NOW, HOUR)
    assert [v.name for v in ordered] == [
        "journal",
        "never",
        "late",
        "later",
        "refused",
        "well-old",
        "well-new",
        "revoked",
    ]
    assert {v.name: v.stuck for v in ordered}["late"] == ["no_sync"]
    assert all(not v.stuck for v in ordered[-3:])
    # The same devices in any order come out the same.
    assert order_devices(reversed(views), NOW, HOUR) == ordered


# At the central: the endpoint, the CLI, on both databases -----------------------------------


def report(world: World, device: Any, **fields: Any) -> None:
    body = {
        "queue_depth": 0,
        "refused_open": 0,
        "app_version": "1.4.2",
        "audit_head": {"n": 7, "mac": "c" * 64},
        **fields,
    }
    answer = world.client.post("/v1/devices/state", json=body, headers=world.headers(device))
    assert answer.status_code == 200, answer.text


def listed(world: World, device: Any, session: str) -> DevicesResponse:
    answer = world.client.get("/v1/devices", headers=world.headers(device, session))
    assert answer.status_code == 200, answer.text
    return DevicesResponse.model_validate_json(answer.content)


def test_the_supervisor_sees_the_stuck_devices_first_with_why(world: World) -> None:
    now = dt.datetime.now(dt.UTC)
    # The counter PC synced now but two refused requests wait; the home-visit laptop is out,
    # two of its three visits done, nothing synced for three hours; the instant-issuance PC has
    # never reported; a fourth PC is well; a fifth was revoked.
    report(world, world.counter, refused_open=2, last_sync=now.isoformat())
    report(
        world,
        world.home,
        queue_depth=5,
        oldest_unsent_age_seconds=3 * 3600,
        last_sync=(now - 3 * HOUR).isoformat(),
        visits_planned=3,
        visits_done=2,
        batch_open=5,
    )
    auth = Authenticator(world.database, TEST_SETTINGS)
    well = enrol_directly(auth, world.database, BRANCH, Place.BRANCH, "counter 2")
    report(world, well, last_sync=now.isoformat())
    gone = enrol_directly(auth, world.database, BRANCH, Place.BRANCH, "old PC")
    with world.database.write() as conn:
        assert revoke_device(conn, gone.device_id)

    devices = listed(world, world.counter, world.login(world.counter, "S001")).devices
    names = [d.name for d in devices]
    assert names == ["instant", "home", "counter", "counter 2", "old PC"], names
    by_name = {d.name: d for d in devices}
    assert by_name["instant"].stuck == ["never_reported"]
    assert by_name["home"].stuck == ["no_sync"]
    assert by_name["counter"].stuck == ["refused_waiting"]
    assert by_name["counter 2"].stuck == [] and by_name["old PC"].revoked
    home = by_name["home"]
    assert (home.visits_planned, home.visits_done, home.batch_open) == (3, 2, 5)
    assert home.queue_depth == 5 and home.oldest_unsent_age_seconds == 3 * 3600
    assert world.other.device_id not in {d.device_id for d in devices}  # OTHER_BRANCH's
    # The listing the endpoint and `central devices` share says the same.
    assert branch_devices(world.database, BRANCH).devices == devices


def test_central_devices_prints_the_same_list(world: World, capsys: Any) -> None:
    now = dt.datetime.now(dt.UTC)
    report(world, world.counter, refused_open=2, last_sync=now.isoformat())
    report(
        world,
        world.home,
        last_sync=(now - 3 * HOUR).isoformat(),
        visits_planned=3,
        visits_done=2,
    )
    url = world.database.url.render_as_string(hide_password=False)
    assert central_main(["devices", "--branch", BRANCH, "--database-url", url]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "3 device(s), 3 stuck" in lines[0] and "60 min" in lines[0]
    assert lines[1].split()[:3] == ["device", "name", "place"]
    rows = lines[2:]
    assert [row.split()[0] for row in rows] == ["STUCK", "STUCK", "STUCK"]
    assert "never reported" in rows[0] and world.instant.device_id in rows[0]
    assert "nothing synced for 3 h" in rows[1] and "2 of 3" in rows[1]
    assert "2 refused request(s) waiting" in rows[2]
    # A longer limit: the laptop three hours out is no longer stuck.
    assert (
        central_main(["devices", "--branch", BRANCH, "--database-url", url, "--stuck-after", "240"])
        == 0
    )
    out = capsys.readouterr().out
    assert "3 device(s), 2 stuck" in out and "nothing synced for 3 h" not in out


def test_a_longer_stuck_setting_at_the_central_lists_fewer_stuck(world: World) -> None:
    from dataclasses import replace

    from central.app import create_app
    from tests.central.conftest import TestClient

    now = dt.datetime.now(dt.UTC)
    report(world, world.home, last_sync=(now - 3 * HOUR).isoformat())
    patient = create_app(replace(TEST_SETTINGS, stuck_after_minutes=240), database=world.database)
    with TestClient(patient, raise_server_exceptions=False) as client:
        session = client.post(
            "/v1/sessions",
            json={"staff_id": "S001", "password": "correct horse 1"},
            headers=world.headers(world.counter),
        ).json()["session_token"]
        answer = client.get("/v1/devices", headers=world.headers(world.counter, session))
    assert answer.status_code == 200, answer.text
    home = next(d for d in answer.json()["devices"] if d["name"] == "home")
    assert home["stuck"] == []


@pytest.mark.parametrize(
    "who",
    ["no session", "teller", "home-visit staff", "other branch's session", "revoked device"],
)
def test_only_the_branch_supervisor_on_a_live_device_may_list(world: World, who: str) -> None:
    device, session = world.counter, None
    if who == "teller":
        session = world.login(world.counter, "T001")
    elif who == "home-visit staff":
        device, session = world.home, world.login(world.home, "H001")
    elif who == "other branch's session":
        # Another branch's supervisor cannot sign in here; their session from their own
        # branch's device is worth nothing on this one.
        refused = world.client.post(
            "/v1/sessions",
            json={"staff_id": "S201", "password": "correct horse 1"},
            headers=world.headers(world.counter),
        )
        assert refused.status_code == 401
        session = world.login(world.other, "S201")
    elif who == "revoked device":
        session = world.login(world.counter, "S001")
        with world.database.write() as conn:
            assert revoke_device(conn, world.counter.device_id)
    answer = world.client.get("/v1/devices", headers=world.headers(device, session))
    assert 400 <= answer.status_code < 500, (who, answer.status_code, answer.text)
    assert answer.json()["error"]["code"] in {"session_required", "forbidden", "unauthorized"}
    assert "devices" not in answer.json()


def test_another_branchs_supervisor_sees_only_their_own_branch(world: World) -> None:
    report(world, world.counter, last_sync=dt.datetime.now(dt.UTC).isoformat())
    devices = listed(world, world.other, world.login(world.other, "S201")).devices
    assert [d.device_id for d in devices] == [world.other.device_id]
