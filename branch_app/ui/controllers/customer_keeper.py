"""One customer at a time for one app: start, serve, end, and clear every form when it ends.

Who is served is the customer session service's (`branch_app.services.customer.CustomerDesk`,
imported on first use: it loads the domain, which start-up does not need). This keeper tells the
screens (they prefill the holder, masked, and show who is served in their panel's subtitle) and,
when a session ends (End, the idle lock, a log-out, another person identified), throws away the
screen of every mode but home, so no form or result of one customer is shown to the next.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from branch_app.i18n import t

if TYPE_CHECKING:
    from branch_app.domain.identity import IdentityNumber
    from branch_app.services.customer import CustomerDesk, CustomerSession, HolderSource
    from branch_app.ui.app import BranchApp
    from readers.sscard import CardReading

#: How long a revealed name stays on screen.
REVEAL_SECONDS = 5.0


class CustomerKeeper:
    """The customer being served at this app's counter, and the clearing when they leave."""

    def __init__(self, app: BranchApp) -> None:
        self.app = app
        self._desk: CustomerDesk | None = None

    @property
    def desk(self) -> CustomerDesk:
        if self._desk is None:
            from branch_app.services.customer import CustomerDesk

            self._desk = CustomerDesk(clock=self.app.services.clock)
        return self._desk

    @property
    def current(self) -> CustomerSession | None:
        return None if self._desk is None else self._desk.current

    # -- start -----------------------------------------------------------------------------------
    def identified(
        self, holder: IdentityNumber, source: HolderSource, name: str | None = None
    ) -> None:
        """`holder` is the person at the counter now (another person ends the previous session
        first, and every other mode's forms with it)."""
        current = self.current
        if current is not None and current.holder.number != holder.number:
            self.end(go_home=False)
        self.desk.start(holder, source=source, name=name)
        self.refresh()

    def card_read(self, reading: CardReading) -> None:
        """A card in the reader identifies its holder (when the chip gave the number)."""
        from branch_app.domain.identity import IdentityError, parse_identity
        from branch_app.services.customer import HolderSource

        number = getattr(reading, "social_security_number", None)
        if not number or getattr(reading, "holder_needs_psam", False):
            return
        try:
            holder = parse_identity(number, today=self.app.today())
        except IdentityError:
            return
        current = self.current
        if current is not None and current.holder.number != holder.number:
            new_request = getattr(self.app.screen, "action_new_request", None)
            if callable(new_request):
                new_request()  # the form in front was the previous customer's
        self.identified(holder, HolderSource.CARD, getattr(reading, "name", None))

    def learned_name(self, holder_id: str, name: str) -> None:
        """The central's lookup gave the holder's name (from any thread: a counter's worker
        hands it here). Learnt only by the session serving that holder; shown masked."""
        import threading

        if getattr(self.app, "_thread_id", None) != threading.get_ident():
            self.app.call_from_thread(self.learned_name, holder_id, name)
            return
        self.desk.learn_name(holder_id, name)
        self.refresh()

    def served(self, service_key: str, reference: str) -> None:
        if self._desk is not None:
            self._desk.served(service_key, reference)
            self.refresh()

    # -- end ---------------------------------------------------------------------------------------
    def end(self, *, go_home: bool = True) -> bool:
        """End the session (if any) and clear every form and result; True when one ended."""
        ended = self._desk.end() if self._desk is not None else None
        self.clear_forms(go_home=go_home)
        self.refresh()
        return ended is not None

    def clear_forms(self, *, go_home: bool = True) -> None:
        """New screens for every mode but home (and, unless `go_home`, the one in front)."""
        app = self.app
        app.clear_notifications()  # a revealed name, an answer's toast
        if go_home and app.current_mode != "home":
            app.switch_mode("home")
        if go_home:
            while len(app.screen_stack) > 1:  # a dialog over home (help, sync)
                app.pop_screen()
        keep = {"home", app.current_mode}
        stacks = app._screen_stacks
        for mode in list(stacks):
            if mode in keep:
                continue
            factory = app._modes.get(mode)
            if factory is None:
                continue
            app.remove_mode(mode)
            app.add_mode(mode, factory)

    # -- the screens ------------------------------------------------------------------------------
    def refresh(self) -> None:
        self.app.refresh_bindings()
        for screen in self.app.screen_stack:
            show = getattr(screen, "show_customer", None)
            if callable(show):
                show()

    def bar_text(self) -> str:
        """Who is served, in one line (masked), or "" when nobody is."""
        current = self.current
        if current is None:
            return ""
        return t(
            "counter.customer.bar",
            holder=current.holder.masked(),
            name=current.masked_name or t("counter.customer.no_name"),
            since=current.started_at.strftime("%H:%M"),
            count=len(current.requests),
        )

    def reveal_name(self) -> None:
        """Show the holder's name in full for a few seconds; audited first (who, why)."""
        current = self.current
        store = self.app.services.store
        staff = self.app.status.staff
        if current is None or staff is None or store is None:
            return
        if not current.name:
            self.app.notify(t("counter.customer.name_unknown"), severity="warning")
            return
        config = self.app.config
        name = self.desk.reveal_name(
            store.audit,
            actor=staff.staff_id,
            why="counter_service",
            branch=config.branch.code,
        )
        if name:
            self.app.notify(t("counter.customer.name_shown", name=name), timeout=REVEAL_SECONDS)
