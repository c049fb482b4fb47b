"""Issue 12's whole counter day in a real terminal: `branch-app demo` in tmux at 120x36, with its
central on loopback and its simulated card in the simulated reader.

The teller logs in; the card in the reader starts the customer; a loss report is accepted; an
unlock without the found card is refused (docs/RULES.md: "Unlock only with the found card"),
then a replacement (which needs the loss report) is accepted; its receipt is saved as a PDF
(Ctrl+S, in Chinese, then Ctrl+T and Ctrl+S in English) into `[printer] folder` and read back
with pypdf; F12 ends the customer, Ctrl+L logs out; the supervisor logs in, opens today's
requests and the end of the day, sees the teller's two requests summed up, and confirms it.

Nothing sleeps: every step waits on the screen (or the PDF on disk) with a deadline, through
the smoke test's `Pane` (tmux's `pipe-pane` wakes the wait when the program draws).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.ui.test_tmux_smoke import Pane, _command, program_in_tmux

#: The holder of the demo's simulated card, as every screen shows it (masked).
HOLDER = "440104********0429"
SGR = re.compile(r"\x1b\[[0-9;]*m")
REFERENCE = re.compile(r"Accepted\. Reference (\d+-[0-9A-F]{8})\.")


class Day:
    """The pane and the folder the demo saves receipts into."""

    def __init__(self, pane: Pane, receipts: Path) -> None:
        self.pane = pane
        self.receipts = receipts

    def text(self) -> str:
        return self.pane.text()

    def wait_text(self, *words: str, what: str) -> str:
        self.pane.wait_for(lambda: all(word in self.text() for word in words), what)
        return self.text()

    def styled(self) -> list[str]:
        """The screen with its colours (SGR sequences), line by line."""
        return self.pane.run("capture-pane", "-e", "-p", "-t", self.pane.session).stdout.split("\n")

    def input_focused(self, label: str, below: int) -> bool:
        """Whether the Input `below` lines under the line showing `label` (its label above it,
        or its placeholder: 0) has the focus: its left border "▊" is drawn in the focus colour,
        not in the background's (colour 233 in the demo's default theme)."""
        lines = self.styled()
        plain = [SGR.sub("", line) for line in lines]
        row = next((n for n, line in enumerate(plain) if label in line), None)
        if row is None or row + below >= len(lines):
            return False
        border = re.search(r"((?:\x1b\[[0-9;]*m)+)▊", lines[row + below])
        return border is not None and "38;5;233" not in border.group(1)

    def focus_input(self, label: str, *, below: int = 2, most: int = 8) -> None:
        """Tab, one at a time, each waiting for the screen to show the focus moved, until the
        Input at `label` has it."""
        for _ in range(most):
            if self.input_focused(label, below):
                return
            before = self.styled()
            self.pane.send("Tab")
            self.pane.wait_for(
                lambda before=before: self.input_focused(label, below) or self.styled() != before,
                f"the focus to move towards {label}",
            )
        assert self.input_focused(label, below), f"{label} never got the focus:\n{self.text()}"

    def login(self, staff_id: str, password: str, name: str) -> None:
        self.wait_text("Staff login", f"{staff_id} / {password}", what="the login dialog")
        self.pane.send(staff_id)
        self.pane.wait_for(lambda: f"▊  {staff_id}" in self.text(), f"{staff_id} typed")
        self.focus_input("▊  Password", below=0)
        self.pane.send(password)
        self.pane.wait_for(lambda: "•" * len(password) in self.text(), "the password, hidden")
        self.pane.send("Enter")
        self.pane.wait_for(
            lambda: "Staff login" not in self.text() and name in self.text(),
            f"{name} on duty",
        )

    def open_service(self, name: str, title: str) -> None:
        """Ctrl+P, "Service: <name>", Enter: the service's screen (its title in the header)."""
        self.pane.send("C-p")
        self.wait_text("🔎", what="the command palette")
        self.pane.send(f"Service: {name}")
        self.wait_text(f"Service: {name}", "Open this service", what=f"the palette's {name}")
        self.pane.send("Enter")
        self.pane.wait_for(
            lambda: f"— {title} —" in self.text() and "🔎" not in self.text(),
            f"the {title} screen",
        )

    def submit_and_confirm(self, what: str) -> str:
        """F10, the confirm step, Enter: the accepted request's reference."""
        self.pane.send("F10")
        self.wait_text("Confirm the request", what=f"the {what}'s confirm step")
        self.pane.send("Enter")
        self.pane.wait_for(lambda: REFERENCE.search(self.text()) is not None, f"the {what}")
        self.wait_text("Applied", "at the central", what=f"the {what} applied at the central")
        match = REFERENCE.search(self.text())
        assert match is not None
        return match.group(1)

    def saved_pdf(self, reference: str, language: str) -> str:
        path = self.receipts / f"receipt-{reference}-{language}.pdf"
        self.pane.send("C-s")
        self.pane.wait_for(
            lambda: path.exists() and "Receipt saved" in self.text(), f"{path.name} saved"
        )
        return "\n".join(page.extract_text() for page in PdfReader(path).pages)


@pytest.fixture
def day(tmp_path: Path) -> Iterator[Day]:
    receipts = tmp_path / "receipts"
    env = {
        "BRANCH_APP_UI_LANGUAGE": "en",
        "TERM": "xterm-256color",
        "BRANCH_APP_PRINTER_FOLDER": str(receipts),
    }
    command = " ".join(_command()) + " demo"
    with program_in_tmux(tmp_path, command, name="branch-day", size=(120, 36), env=env) as pane:
        pane.wait_for(lambda: "Staff login" in pane.text(), "the demo to start")
        yield Day(pane, receipts)


@pytest.mark.slow
def test_a_customer_session_then_the_supervisors_end_of_day(day: Day) -> None:
    # -- the teller, and the card in the reader starting the customer --------------------------
    day.wait_text(f"Reader: card {HOLDER}", "Central: online", what="the card and the central")
    day.login("T001", "teller-demo-1", "Chen Li")
    day.wait_text("F12  End customer", what="the card in the reader starting the customer")

    # -- a loss report for the customer being served --------------------------------------------
    day.open_service("Loss report", "Loss report")
    day.wait_text(f"The customer being served: {HOLDER}", f"Serving {HOLDER}", what="the holder")
    loss = day.submit_and_confirm("loss report")
    day.wait_text("security frozen, bank account frozen", what="both functions frozen")

    # -- an unlock without the found card: refused, nothing recorded ---------------------------
    day.open_service("Unlock", "Unlock a lost card")
    day.wait_text("insert the card, or type its 9 characters", what="no found card given")
    day.pane.send("F10")
    text = day.wait_text("Not accepted", "Nothing was recorded.", what="the unlock refused")
    assert "Unlocking needs the found" in text and "1 done" in text

    # -- a replacement (the loss report allows it), with the studio's photo receipt ------------
    day.open_service("Replacement", "Card application")
    day.wait_text(f"The customer being served: {HOLDER}", what="the holder in the application")
    # Tab on to the photo receipt number (past the holder, and the kind and speed the palette
    # chose: Replacement, Normal), one Tab at a time, each waiting for the focus to move.
    day.focus_input("Photo receipt number")
    day.pane.send("PH20251205")
    day.wait_text("▊  PH20251205", what="the photo receipt number typed")
    replacement = day.submit_and_confirm("replacement")
    text = day.wait_text("Replacement (card lost)", "Fee  20 yuan", what="the replacement's answer")
    assert replacement != loss and "2 done" in text

    # -- its receipt as a PDF, in Chinese and in English ----------------------------------------
    day.wait_text("F11 Print receipt", what="the receipt keys")
    chinese = day.saved_pdf(replacement, "zh")
    for word in (f"业务编号: {replacement}", "业务类型: 补领", HOLDER, "20 元", "经办人: T001"):
        assert word in chinese, (word, chinese)
    day.pane.send("C-t")
    day.wait_text("Receipts now in English", what="the receipt's language")
    english = day.saved_pdf(replacement, "en")
    for word in (f"Reference: {replacement}", "Service: Replacement", HOLDER, "Teller: T001"):
        assert word in english, (word, english)
    assert "CNY 20" in english and "12345" in english

    # -- the customer leaves, the teller logs out -----------------------------------------------
    day.pane.send("F12")
    day.pane.wait_for(
        lambda: "Customer served" in day.text() and f"Serving {HOLDER}" not in day.text(),
        "the customer ended",
    )
    day.pane.send("C-l")
    day.wait_text(
        "Logged out. The next member of staff logs in.", "Nobody is signed in.", what="the log-out"
    )

    # -- the supervisor: today's requests and the end of the day --------------------------------
    day.login("S001", "super-demo-1", "Liu Qiang")
    day.open_service("Today's requests", "Today's requests")
    text = day.wait_text(loss, replacement, "2 of 2 requests", what="the teller's two requests")
    assert text.count("applied") >= 2, text  # both answered by the central
    day.pane.send("F8")
    summary = day.wait_text("End of the day", "Requests accepted", what="the end-of-day summary")
    for line in (
        r"Teller\s+T001\b",
        r"Requests accepted\s+2\b",
        r"Loss report\s+1\b",
        r"Replacement\s+1\b",
        r"Fees taken in cash\s+CNY 20\b",
        r"Still unsent\s+none",
        r"Refused or in conflict\s+none",
    ):
        assert re.search(line, summary), (line, summary)
    day.pane.send("S001")
    day.pane.wait_for(lambda: "▊  S001" in day.text(), "the supervisor's id typed")
    day.focus_input("Supervisor's password", below=0)
    day.pane.send("super-demo-1")
    day.pane.wait_for(lambda: "•" * len("super-demo-1") in day.text(), "the password, hidden")
    day.pane.send("Enter")
    day.wait_text("The day is closed, confirmed by S001", what="the day confirmed")

    # -- and the demo ends: nothing is left unsent ----------------------------------------------
    day.pane.send("Escape")
    day.pane.wait_for(lambda: "End of the day" not in day.text(), "the summary closed")
    day.pane.send("C-q")  # with nothing unsent, no question: the demo ends
    day.pane.wait_for(lambda: not day.pane.alive(), "the demo exiting")
