"""Errors the store raises: a code and its parameters, never a sentence.

A supervisor meets these at start-up; the words (what is wrong, which file, what to do next:
for a damaged file, the documented recovery command) are the store catalog's
`store.error.<code>` filled with `params`. `str(error)` is the English sentence for logs and
tracebacks; the parameters never hold personal data (paths, counts, technical detail).
"""

from __future__ import annotations

from pathlib import Path


class StoreError(Exception):
    """Base of every store error: `code` selects `store.error.<code>`, `params` fill it."""

    code = "store_error"

    def __init__(self, **params: str | int) -> None:
        self.params: dict[str, str | int] = params
        super().__init__(self.code, params)

    @property
    def key(self) -> str:
        """The catalog key of this error's sentence."""
        return f"store.error.{self.code}"

    def message(self, language: str | None = None) -> str:
        """The sentence in `language` ("zh" or "en"; default: the current language)."""
        from branch_app.i18n import t

        return t(self.key, language, **self.params)

    def __str__(self) -> str:
        return self.message("en")


def recovery_command(path: Path) -> str:
    """The documented command that repairs a damaged store file."""
    return f"branch-app store recover --file {path}"


class StoreCorrupt(StoreError):
    """A store file cannot be read or does not have the expected shape; it was left untouched."""

    code = "corrupt"

    def __init__(self, path: Path, detail: str) -> None:
        self.path = Path(path)
        self.detail = detail
        super().__init__(path=str(self.path), detail=detail, command=recovery_command(self.path))


class StoreTooNew(StoreError):
    """A file was written by a newer version of the application."""

    code = "too_new"

    def __init__(self, path: Path, found: int, supported: int) -> None:
        self.path = Path(path)
        super().__init__(path=str(self.path), found=found, supported=supported)


class StoreLocked(StoreError):
    """Another instance of the application already holds the data folder."""

    code = "locked"

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)
        super().__init__(data_dir=str(self.data_dir))


class StoreWriteFailed(StoreError):
    """A write could not be made durable; the previous contents are kept."""

    code = "write_failed"

    def __init__(self, path: Path, reason: str) -> None:
        self.path = Path(path)
        super().__init__(path=str(self.path), reason=reason)


class KeyringRefused(StoreError):
    """The keyring backend would not keep the data key safe (plaintext, null or failing)."""

    code = "keyring_refused"

    def __init__(self, backend: str, why: str) -> None:
        self.backend = backend
        super().__init__(backend=backend, why=why)


class KeyMissing(StoreError):
    """The store holds encrypted data but its key is not in this keyring."""

    code = "key_missing"

    def __init__(self, data_dir: Path, what: str) -> None:
        self.data_dir = Path(data_dir)
        super().__init__(data_dir=str(self.data_dir), what=what)


class DecryptionFailed(StoreError):
    """An encrypted field does not decrypt: it was changed, or belongs to another record."""

    code = "decryption_failed"

    def __init__(self, path: Path, where: str) -> None:
        self.path = Path(path)
        super().__init__(path=str(self.path), where=where, command=recovery_command(self.path))


class UnknownItem(StoreError, KeyError):
    """No outbox item has this id."""

    code = "unknown_item"

    def __init__(self, item_id: str) -> None:
        self.item_id = item_id
        super().__init__(item_id=item_id)

    def __str__(self) -> str:  # KeyError would otherwise quote the sentence
        return self.message("en")


class NotADemoFolder(StoreError):
    """The demo was pointed at a folder holding a real store; it will not clear it."""

    code = "not_demo"

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)
        super().__init__(data_dir=str(self.data_dir))
