"""Modal dialogs, one per file: each asks one thing and dismisses with the answer."""
