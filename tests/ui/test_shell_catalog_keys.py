"""The shell builds some keys at run time (`shell.role.{role}`); each member must exist."""

from __future__ import annotations

from textual.binding import Binding

from branch_app.config import DeviceKind
from branch_app.domain.identity import IDENTITY_ERROR_CODES, IdentityKind, Sex
from branch_app.domain.roles import Role
from branch_app.i18n import Language, catalog
from branch_app.ui.app import BranchApp
from branch_app.ui.dialogs.help import HelpScreen
from branch_app.ui.screens.identity_check import IdentityCheckScreen
from branch_app.ui.service_menu import SERVICES
from branch_app.ui.themes import THEME_CHOICES


def test_every_computed_shell_key_exists() -> None:
    keys = catalog()
    needed = (
        [f"shell.role.{role.value}" for role in Role]
        + [f"shell.device.{kind.value}" for kind in DeviceKind]
        + [f"shell.idkind.{kind.value}" for kind in IdentityKind]
        + [f"shell.sex.{sex.value}" for sex in Sex]
        + [f"shell.theme.{theme}" for theme in THEME_CHOICES]
        + [f"shell.language.{language.value}" for language in Language]
        + [service.title_key for service in SERVICES]
        + [service.group for service in SERVICES]
    )
    assert [key for key in needed if key not in keys] == []


def test_every_binding_has_an_id_and_a_catalog_description() -> None:
    keys = catalog()
    for owner in (BranchApp, IdentityCheckScreen, HelpScreen):
        for binding in owner.BINDINGS:
            assert isinstance(binding, Binding)
            assert binding.id, f"{owner.__name__}: {binding.key} has no id"
            assert binding.description in keys, f"{owner.__name__}: {binding.description}"


def test_every_identity_refusal_is_in_both_languages() -> None:
    """The identity check shows the domain's reasons; each must be translated."""
    keys = catalog()
    assert [c for c in IDENTITY_ERROR_CODES if f"domain.identity.{c}" not in keys] == []
