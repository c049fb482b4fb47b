"""Application services: the counter, the supervisor and the staff session, between the UI and
the store and sync. No Textual here: the screens call them, and so can a script or a test."""
