"""Errors the store raises, each with one clear sentence in English and Chinese.

A supervisor meets these at start-up; the message says what is wrong, which file, and what to
do next (for a damaged file: the documented recovery command). They never contain personal data.
"""

from __future__ import annotations

from pathlib import Path


class StoreError(Exception):
    """Base of every store error: `str()` is the English sentence, `.chinese` the Chinese one."""

    code = "store.error"

    def __init__(self, english: str, chinese: str) -> None:
        super().__init__(english)
        self.english = english
        self.chinese = chinese

    def message(self, language: str = "en") -> str:
        """The sentence in the given language ("zh" or "en")."""
        return self.chinese if language == "zh" else self.english


def recovery_command(path: Path) -> str:
    """The documented command that repairs a damaged store file."""
    return f"branch-app store recover --file {path}"


class StoreCorrupt(StoreError):
    """A store file cannot be read or does not have the expected shape; it was left untouched."""

    code = "store.corrupt"

    def __init__(self, path: Path, detail: str) -> None:
        self.path = Path(path)
        self.detail = detail
        command = recovery_command(self.path)
        super().__init__(
            f"The store file {self.path} is damaged ({detail}); it has been left as it is and the "
            f"application will not start until a supervisor runs: {command}",
            f"存储文件 {self.path} 已损坏（{detail}），文件保持原样；请主管运行以下命令恢复后再启动：{command}",
        )


class StoreTooNew(StoreError):
    """A file was written by a newer version of the application."""

    code = "store.too_new"

    def __init__(self, path: Path, found: int, supported: int) -> None:
        self.path = Path(path)
        super().__init__(
            f"The store file {self.path} was written by a newer version of the application "
            f"(schema {found}, this version reads up to {supported}); install the newer version.",
            f"存储文件 {self.path} 由更新版本的程序写入（格式 {found}，本版本最高支持 {supported}），请安装新版本。",
        )


class StoreLocked(StoreError):
    """Another instance of the application already holds the data folder."""

    code = "store.locked"

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)
        super().__init__(
            f"Another copy of the application is already using the data folder {self.data_dir}; "
            "close it first (only one copy may run at a time).",
            f"另一个程序实例正在使用数据目录 {self.data_dir}；请先关闭它（同一时间只能运行一个实例）。",
        )


class StoreWriteFailed(StoreError):
    """A write could not be made durable; the previous contents are kept."""

    code = "store.write_failed"

    def __init__(self, path: Path, reason: str) -> None:
        self.path = Path(path)
        super().__init__(
            f"Could not save {self.path} ({reason}); nothing was changed. Check the disk space "
            "and permissions, then try again.",
            f"无法保存 {self.path}（{reason}），未做任何更改。请检查磁盘空间和权限后重试。",
        )


class KeyringRefused(StoreError):
    """The keyring backend would not keep the data key safe (plaintext, null or failing)."""

    code = "store.keyring_refused"

    def __init__(self, backend: str, why: str) -> None:
        self.backend = backend
        super().__init__(
            f"The keyring {backend} cannot be used to keep the data key ({why}); install or "
            "unlock the system keyring (Windows Credential Manager, macOS Keychain or a Secret "
            "Service such as GNOME Keyring) and start again.",
            f"密钥环 {backend} 无法安全保存数据密钥（{why}）；请安装或解锁系统密钥环"
            "（Windows 凭据管理器、macOS 钥匙串或 GNOME Keyring 等 Secret Service）后重新启动。",
        )


class KeyMissing(StoreError):
    """The store holds encrypted data but its key is not in this keyring."""

    code = "store.key_missing"

    def __init__(self, data_dir: Path, what: str) -> None:
        self.data_dir = Path(data_dir)
        super().__init__(
            f"The data key for {self.data_dir} is not in this computer's keyring ({what}); the "
            "encrypted personal data cannot be read. Sign in as the user who created the store, "
            "or restore the keyring entry from its backup.",
            f"本机密钥环中没有 {self.data_dir} 的数据密钥（{what}），无法读取加密的个人信息。"
            "请以创建该数据的用户登录，或从备份恢复密钥环条目。",
        )


class DecryptionFailed(StoreError):
    """An encrypted field does not decrypt: it was changed, or belongs to another record."""

    code = "store.decryption_failed"

    def __init__(self, path: Path, where: str) -> None:
        self.path = Path(path)
        command = recovery_command(self.path)
        super().__init__(
            f"An encrypted field in {self.path} ({where}) does not decrypt: it was changed or "
            f"damaged. A supervisor should run: {command}",
            f"{self.path} 中的加密字段（{where}）无法解密：已被修改或损坏。请主管运行：{command}",
        )


class UnknownItem(StoreError, KeyError):
    """No outbox item has this id."""

    code = "store.unknown_item"

    def __init__(self, item_id: str) -> None:
        self.item_id = item_id
        super().__init__(
            f"The outbox has no item {item_id}.",
            f"待发送队列中没有编号为 {item_id} 的条目。",
        )

    def __str__(self) -> str:  # KeyError would otherwise quote the sentence
        return self.english


class NotADemoFolder(StoreError):
    """The demo was pointed at a folder holding a real store; it will not clear it."""

    code = "store.not_demo"

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)
        super().__init__(
            f"The folder {self.data_dir} holds a real store, not demo data; the demo will not "
            "use it. Choose another data folder for the demo.",
            f"目录 {self.data_dir} 中是正式数据而非演示数据，演示模式不会使用它；请为演示另选数据目录。",
        )
