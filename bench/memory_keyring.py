"""An in-memory keyring that `PYTHON_KEYRING_BACKEND` can name, for benchmark child processes.

The store's own `MemoryKeyring` refuses to be picked by name or discovery (a teller's machine must
never fall back to it); a benchmark that starts `branch-app` as a child process names this one.
"""

from branch_app.store.crypto import MemoryKeyring


class BenchKeyring(MemoryKeyring):
    priority = 0.1  # type: ignore[assignment]  # loaded only when named explicitly
