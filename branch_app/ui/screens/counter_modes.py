"""The services as app modes, taken from the one registry (`ui/service_menu.py`).

Each mode keeps its own screen, so tasks keep their state; the factories import their screens on
first use only (tests/ui/test_startup_imports.py). The identity check is the app's own `identity`
mode.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from branch_app.ui.service_menu import SERVICES

if TYPE_CHECKING:
    from textual.screen import Screen

#: Mode name (= service id) -> screen factory.
COUNTER_MODES: dict[str, Callable[[], Screen[None]]] = {
    service.id: service.make_screen
    for service in SERVICES
    if service.screen is not None and service.id != "identity_check"
}

#: Service id -> mode name.
COUNTER_SERVICES: dict[str, str] = {mode: mode for mode in COUNTER_MODES}
