"""The offline limits per branch (issue 13): set by an administrator (`central branch-limits`),
sent with the enrolment, every log-in and every device-state answer; the central's defaults for
a branch without its own. The device's visit progress and open batch are kept per device and
listed. On SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import inspect

from branch_app.domain.vocabulary import Place
from central import models
from central.auth import Authenticator
from central.cli import main as central_main
from central.db import Database
from central.limits import branch_limits, set_branch_limits
from central.settings import DEFAULT_MAX_OFFLINE_HOURS, DEFAULT_MAX_UNSENT
from sync.protocol import OfflineLimits
from tests.central.conftest import (
    BRANCH,
    OTHER_BRANCH,
    TEST_SETTINGS,
    World,
    enrol_directly,
)

DEFAULTS = {"max_unsent": DEFAULT_MAX_UNSENT, "max_offline_hours": DEFAULT_MAX_OFFLINE_HOURS}


def _report(**extra: Any) -> dict[str, Any]:
    return {
        "queue_depth": 2,
        "refused_open": 0,
        "app_version": "1.0.0",
        "audit_head": {"n": 3, "mac": "b" * 64},
        **extra,
    }


def _cli(database: Database, *args: str) -> int:
    url = database.url.render_as_string(hide_password=False)
    return central_main(["branch-limits", *args, "--database-url", url])


def test_a_branch_without_limits_gets_the_centrals_defaults_everywhere(world: World) -> None:
    auth = Authenticator(world.database, TEST_SETTINGS)
    with world.database.write() as conn:
        from central.auth import issue_enrolment_code

        code = issue_enrolment_code(conn, branch=BRANCH, place=Place.HOME_VISIT, valid_hours=1)
    enrolled = auth.enrol(code, "laptop")
    assert enrolled.limits is not None and enrolled.limits.model_dump() == DEFAULTS

    answer = world.client.post(
        "/v1/sessions",
        json={"staff_id": "H001", "password": "correct horse 1"},
        headers=world.headers(world.home),
    )
    assert answer.status_code == 200 and answer.json()["limits"] == DEFAULTS

    state = world.client.post(
        "/v1/devices/state", json=_report(), headers=world.headers(world.home)
    )
    assert state.status_code == 200 and state.json()["limits"] == DEFAULTS


def test_limits_set_with_the_cli_reach_every_answer_of_that_branch_only(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _cli(world.database, "--branch", BRANCH, "--max-unsent", "3") == 0
    out = capsys.readouterr().out
    assert "at most 3 requests" in out and f"{DEFAULT_MAX_OFFLINE_HOURS} hours" in out
    assert _cli(world.database, "--branch", BRANCH, "--max-hours", "5") == 0
    wanted = {"max_unsent": 3, "max_offline_hours": 5}

    state = world.client.post(
        "/v1/devices/state", json=_report(), headers=world.headers(world.home)
    )
    assert state.json()["limits"] == wanted
    login = world.client.post(
        "/v1/sessions",
        json={"staff_id": "H001", "password": "correct horse 1"},
        headers=world.headers(world.home),
    )
    assert login.json()["limits"] == wanted
    auth = Authenticator(world.database, TEST_SETTINGS)
    later = enrol_directly(auth, world.database, BRANCH, Place.HOME_VISIT, "second laptop")
    with world.database.read() as conn:
        assert branch_limits(conn, BRANCH, TEST_SETTINGS).model_dump() == wanted
    other = world.client.post(
        "/v1/devices/state", json=_report(), headers=world.headers(world.other)
    )
    assert other.json()["limits"] == DEFAULTS  # another branch keeps the defaults
    assert later.branch == BRANCH

    # Shown without a change.
    assert _cli(world.database, "--branch", BRANCH) == 0
    assert "at most 3 requests" in capsys.readouterr().out


def test_limits_out_of_range_are_refused_and_nothing_changes(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _cli(world.database, "--branch", BRANCH, "--max-unsent", "0") == 2
    assert "nothing was changed" in capsys.readouterr().err
    with world.database.write() as conn:
        with pytest.raises(ValueError):
            set_branch_limits(conn, BRANCH, max_offline_hours=24 * 31)
        assert branch_limits(conn, BRANCH) == OfflineLimits(**DEFAULTS)


def test_the_visit_progress_and_open_batch_are_kept_and_listed(world: World) -> None:
    progress = {"visits_planned": 4, "visits_done": 1, "batch_open": 7}
    answer = world.client.post(
        "/v1/devices/state", json=_report(**progress), headers=world.headers(world.home)
    )
    assert answer.status_code == 200
    counter = world.client.post(
        "/v1/devices/state", json=_report(), headers=world.headers(world.counter)
    )
    assert counter.status_code == 200
    session = world.login(world.counter, "S001")
    listed = world.client.get("/v1/devices", headers=world.headers(world.counter, session))
    assert listed.status_code == 200
    views = {d["device_id"]: d for d in listed.json()["devices"]}
    home = views[world.home.device_id]
    assert {k: home[k] for k in progress} == progress
    assert views[world.counter.device_id]["batch_open"] is None
    assert OTHER_BRANCH not in {d.get("branch") for d in listed.json()["devices"]}


def test_an_older_centrals_tables_gain_the_new_columns(world: World) -> None:
    with world.database.write() as conn:
        for name in ("visits_planned", "visits_done", "batch_open"):
            conn.exec_driver_sql(f"ALTER TABLE device_states DROP COLUMN {name}")
    upgraded = world.database.create_schema()
    assert sum("ADD COLUMN" in sql and "device_states" in sql for sql in upgraded) == 3
    with world.database.read() as conn:
        columns = {c["name"] for c in inspect(conn).get_columns("device_states")}
    assert {"visits_planned", "visits_done", "batch_open"} <= columns
    assert "branch_settings" in inspect(world.database.engine).get_table_names()
    assert models.branch_settings.name == "branch_settings"
