"""Run `BranchApp` on the parts the composition root built (`branch_app.composition.start`).

Kept apart from `app.py` so that the entry points read the configuration and report its errors
before Textual is even imported.
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from branch_app.config import AppConfig
    from branch_app.ui.services import AppServices


def run_app(config: AppConfig, services: AppServices) -> int:
    """Run the app in this terminal until it ends; its exit code."""
    from branch_app.ui.app import EXIT_WHEN_READY_ENV, BranchApp

    app = BranchApp(config, services)
    # The startup benchmark runs the app without a terminal and stops it once the home screen
    # is ready; nothing else should ever set this.
    headless = os.environ.get(EXIT_WHEN_READY_ENV) == "1"
    result = app.run(headless=headless)
    error = getattr(app, "_exception", None)  # what Textual stopped on (its traceback is shown)
    if error is not None:
        logging.getLogger(__name__).error("the application stopped on an error", exc_info=error)
    return int(app.return_code or result or 0)
