"""The local TinyDB files: crash-safe storage, outbox, card cache, audit journal, encryption."""
