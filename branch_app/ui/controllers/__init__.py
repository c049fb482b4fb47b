"""What keeps the app going behind the screens (the staff session, the sync monitor): no widgets
here, only the app's timers, workers and messages."""
