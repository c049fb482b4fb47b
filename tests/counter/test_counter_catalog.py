"""Every counter text exists in both languages, for every value the screens can show."""

from __future__ import annotations

from textual.binding import Binding

from branch_app.domain import (
    ApplicationKind,
    ApplicationStatus,
    CancellationReason,
    CardState,
    ExchangeReason,
    FunctionStatus,
    IssuanceSpeed,
    Presenter,
    RefusalReason,
)
from branch_app.domain.lifecycle import COMMAND_TYPES
from branch_app.domain.vocabulary import CounterRefusal, LookupPurpose
from branch_app.i18n import catalog
from branch_app.ui.dialogs.confirm import ConfirmDialog
from branch_app.ui.screens.card_query import PURPOSES, CardQueryScreen
from branch_app.ui.screens.counter_base import CounterScreen


def test_every_computed_counter_key_exists() -> None:
    keys = catalog()
    needed = (
        [f"counter.kind.{k.value}" for k in ApplicationKind]
        + [f"counter.speed.{s.value}" for s in IssuanceSpeed]
        + [f"counter.exchange_reason.{r.value}" for r in ExchangeReason]
        + [f"counter.cancel_reason.{r.value}" for r in CancellationReason]
        + [f"counter.presenter.{p.value}" for p in Presenter]
        + [f"counter.purpose.{p}" for p in PURPOSES]
        + [f"counter.purpose.{p.value}" for p in LookupPurpose]
        + [f"counter.state.{s.value}" for s in CardState]
        + [f"counter.function.{f.value}" for f in FunctionStatus]
        + [f"counter.app_status.{s.value}" for s in ApplicationStatus]
        + [f"counter.kind_name.{c.kind}" for c in COMMAND_TYPES]
        + [f"counter.refusal.{r.value}" for r in CounterRefusal]
        + [f"domain.refusal.{r.value}" for r in RefusalReason]
    )
    assert [key for key in needed if key not in keys] == []


def test_every_next_step_names_a_known_refusal() -> None:
    codes = {r.value for r in RefusalReason} | {r.value for r in CounterRefusal} | {"default"}
    next_steps = [
        k.removeprefix("counter.next.") for k in catalog() if k.startswith("counter.next.")
    ]
    assert next_steps and all(code in codes for code in next_steps)


def test_every_counter_binding_has_an_id_and_a_catalog_description() -> None:
    keys = catalog()
    for owner in (CounterScreen, CardQueryScreen, ConfirmDialog):
        for binding in owner.BINDINGS:
            assert isinstance(binding, Binding)
            assert binding.id, f"{owner.__name__}: {binding.key} has no id"
            assert binding.description in keys, f"{owner.__name__}: {binding.description}"
