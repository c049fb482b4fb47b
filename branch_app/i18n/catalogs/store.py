"""Text of the local store: its maintenance commands and its notices."""

MESSAGES: dict[str, tuple[str, str]] = {
    "store.memory_keyring": (
        "Demo mode: the data key is kept in memory only and is lost when the application closes.",
        "演示模式：数据密钥只保存在内存中，程序关闭后即丢失。",
    ),
    "store.cli.help": (
        "maintain the local store: check, verify the audit journal, rotate the key, recover, archive",
        "维护本地存储：检查、校验审计日志、轮换密钥、恢复、归档",
    ),
    "store.cli.data_dir": (
        "the data folder (default: from the configuration)",
        "数据目录（默认取自配置）",
    ),
    "store.cli.check": ("open and check every store file", "打开并检查全部存储文件"),
    "store.cli.verify_audit": (
        "verify the audit journal's hash chain",
        "校验审计日志的哈希链",
    ),
    "store.cli.rotate_key": (
        "make a new data key and re-encrypt everything",
        "生成新的数据密钥并重新加密全部数据",
    ),
    "store.cli.recover": (
        "recover a damaged store file (the application must be closed)",
        "恢复损坏的存储文件（须先关闭程序）",
    ),
    "store.cli.recover_file": ("the damaged file", "损坏的文件"),
    "store.cli.archive": (
        "move answered commands to the archive and apply the retention period",
        "将已答复的业务移入归档并按保留期限清理",
    ),
    "store.cli.retention": (
        "months to keep archive files (default: from the configuration)",
        "归档文件保留月数（默认取自配置）",
    ),
    "store.check.empty": ("There is no store in {data_dir}.", "{data_dir} 中没有存储数据。"),
    "store.check.sound": ("{file}: sound", "{file}：正常"),
    "store.check.damaged": ("{file}: damaged ({problem})", "{file}：已损坏（{problem}）"),
    "store.check.recover_hint": (
        "Recover a damaged file with: branch-app store recover --file FILE",
        "损坏的文件请用以下命令恢复：branch-app store recover --file 文件",
    ),
    "store.check.summary": (
        "Every encrypted field decrypts: {items} outbox items, {archived} archived items, "
        "{cached} cached records, {entries} audit entries.",
        "全部加密字段均可解密：待发送 {items} 条，归档 {archived} 条，卡片缓存 {cached} 条，审计日志 {entries} 条。",
    ),
    "store.check.keys_unavailable": (
        "Encrypted fields were not checked: {reason}",
        "未检查加密字段：{reason}",
    ),
    "store.audit.ok": (
        "The audit journal is intact: {count} entries checked.",
        "审计日志完整：已校验 {count} 条。",
    ),
    "store.audit.broken": (
        "The audit journal is not intact: entry {n} was {problem} (file {file}); {count} entries before it are sound.",
        "审计日志不完整：第 {n} 条{problem}（文件 {file}）；此前 {count} 条正常。",
    ),
    "store.audit.problem.changed": ("changed", "被修改"),
    "store.audit.problem.removed": ("removed", "被删除"),
    "store.audit.problem.reordered": ("moved out of its place", "顺序被调换"),
    "store.audit.problem.truncated": (
        "cut off the end of the journal",
        "及其后的条目被从日志末尾删除",
    ),
    "store.audit.problem.unreadable": ("in an unreadable file", "所在文件无法读取"),
    "store.audit.problem.emptied": (
        "removed with every other entry of its month (the month's file holds no entries)",
        "及其所在月份的全部条目被清空（该月文件中没有条目）",
    ),
    "store.audit.problem.month_missing": (
        "removed with its month's file (the file is missing)",
        "连同其所在月份的文件被删除（文件不存在）",
    ),
    "store.audit.problem.journal_missing": (
        "removed with the whole audit folder",
        "连同整个审计文件夹被删除",
    ),
    "store.audit.anchored": (
        "The journal's head, kept in the keyring and sent to the central, is entry {head}: entries {first} to {head} are missing.",
        "密钥环中保存（并已发送至中心）的日志末条为第 {head} 条：第 {first} 至 {head} 条缺失。",
    ),
    "store.audit.problem.torn": (
        "cut short by an interrupted write (a power cut)",
        "因写入中断（断电）而不完整",
    ),
    "store.rotate.done": (
        "A new data key is in use: re-encrypted {items} outbox items, {archived} archived items, "
        "{cached} cached records and {entries} audit reasons; the old key was removed from the keyring.",
        "新的数据密钥已启用：重新加密待发送 {items} 条、归档 {archived} 条、卡片缓存 {cached} 条、审计原因 {entries} 条；旧密钥已从密钥环删除。",
    ),
    "store.recover.not_damaged": (
        "{file} reads correctly; nothing was changed.",
        "{file} 可以正常读取，未做任何更改。",
    ),
    "store.recover.moved": (
        "The damaged file was kept as {path}.",
        "损坏的文件已保留为 {path}。",
    ),
    "store.recover.rebuilt": (
        "Rebuilt {file}: {from_damaged} records read from the damaged file, {from_backup} from the last good backup.",
        "已重建 {file}：从损坏文件读出 {from_damaged} 条，从最近的完好备份取回 {from_backup} 条。",
    ),
    "store.recover.backup_time": (
        "The backup was written at {time}.",
        "该备份写于 {time}。",
    ),
    "store.recover.lost_ids": (
        "{count} commands seen in the damaged file could not be rebuilt; ask the tellers to check them: {ids}",
        "损坏文件中有 {count} 条业务无法重建，请柜员逐条核对：{ids}",
    ),
    "store.recover.unknown_since": (
        "Commands made since {time} that are not in the readable part of the damaged file cannot "
        "be named; ask the tellers to check their requests made since {time}.",
        "{time} 之后办理、且不在损坏文件可读部分中的业务无法列出；请柜员核对该时间之后办理的业务。",
    ),
    "store.recover.nothing_lost": (
        "No command seen in the damaged file was lost.",
        "损坏文件中出现的业务均已恢复，无丢失。",
    ),
    "store.recover.lost_entries": (
        "Audit entries {entries} could not be read.",
        "审计日志第 {entries} 条无法读取。",
    ),
    "store.recover.next_seq": (
        "Sequence numbers continue from {seq}, so that no number is used twice.",
        "序号从 {seq} 继续，确保不会重复使用。",
    ),
    "store.recover.no_backup": (
        "There was no readable backup of the outbox.",
        "没有可读取的待发送队列备份。",
    ),
    "store.recover.archive_damaged": (
        "The archive file {name} is damaged too: recover it next.",
        "归档文件 {name} 也已损坏，请接着恢复它。",
    ),
    "store.recover.renumbered": (
        "Command {id} was given the new sequence number {seq}.",
        "业务 {id} 已改用新序号 {seq}。",
    ),
    "store.recover.cache_refetch": (
        "Card records that were not rebuilt will be fetched again from the central service.",
        "未能重建的卡片记录将重新从中心系统获取。",
    ),
    "store.recover.audit_empty": (
        "No audit entry could be read from the damaged file.",
        "损坏文件中没有可读取的审计条目。",
    ),
    "store.recover.audit_torn": (
        "The journal's last line had been cut short by an interrupted write (a power cut during "
        "an append); that entry was never confirmed and is left out.",
        "审计日志最后一行因写入中断（追加时断电）而不完整；该条目从未确认写入，已略去。",
    ),
    "store.recover.audit_verify": (
        "Run branch-app store verify-audit: it will show where the chain was broken.",
        "请运行 branch-app store verify-audit，它会指出哈希链断开的位置。",
    ),
    "store.archive.done": (
        "{moved} answered commands moved to the archive; {pruned} archive files older than {months} months deleted.",
        "已将 {moved} 条已答复业务移入归档；删除超过 {months} 个月的归档文件 {pruned} 个。",
    ),
    # errors: `StoreError.code` -> sentence (parameters from `error.params`)
    "store.error.corrupt": (
        "The store file {path} is damaged ({detail}); it has been left as it is and the "
        "application will not start until a supervisor runs: {command}",
        "存储文件 {path} 已损坏（{detail}），文件保持原样；请主管运行以下命令恢复后再启动：{command}",
    ),
    "store.error.too_new": (
        "The store file {path} was written by a newer version of the application "
        "(schema {found}, this version reads up to {supported}); install the newer version.",
        "存储文件 {path} 由更新版本的程序写入（格式 {found}，本版本最高支持 {supported}），请安装新版本。",
    ),
    "store.error.locked": (
        "Another copy of the application is already using the data folder {data_dir}; "
        "close it first (only one copy may run at a time).",
        "另一个程序实例正在使用数据目录 {data_dir}；请先关闭它（同一时间只能运行一个实例）。",
    ),
    "store.error.write_failed": (
        "Could not save {path} ({reason}); nothing was changed. Check the disk space "
        "and permissions, then try again.",
        "无法保存 {path}（{reason}），未做任何更改。请检查磁盘空间和权限后重试。",
    ),
    "store.error.keyring_refused": (
        "The keyring {backend} cannot be used to keep the data key ({why}); install or "
        "unlock the system keyring (Windows Credential Manager, macOS Keychain or a Secret "
        "Service such as GNOME Keyring) and start again.",
        "密钥环 {backend} 无法安全保存数据密钥（{why}）；请安装或解锁系统密钥环"
        "（Windows 凭据管理器、macOS 钥匙串或 GNOME Keyring 等 Secret Service）后重新启动。",
    ),
    "store.error.key_missing": (
        "The data key for {data_dir} is not in this computer's keyring ({what}); the "
        "encrypted personal data cannot be read. Sign in as the user who created the store, "
        "or restore the keyring entry from its backup.",
        "本机密钥环中没有 {data_dir} 的数据密钥（{what}），无法读取加密的个人信息。"
        "请以创建该数据的用户登录，或从备份恢复密钥环条目。",
    ),
    "store.error.decryption_failed": (
        "An encrypted field in {path} ({where}) does not decrypt: it was changed or "
        "damaged. A supervisor should run: {command}",
        "{path} 中的加密字段（{where}）无法解密：已被修改或损坏。请主管运行：{command}",
    ),
    "store.error.unknown_item": (
        "The outbox has no item {item_id}.",
        "待发送队列中没有编号为 {item_id} 的条目。",
    ),
    "store.error.not_demo": (
        "The folder {data_dir} holds a real store, not demo data; the demo will not "
        "use it. Choose another data folder for the demo.",
        "目录 {data_dir} 中是正式数据而非演示数据，演示模式不会使用它；请为演示另选数据目录。",
    ),
    "store.error.store_error": ("The local store failed.", "本地存储出错。"),
    "store.error.not_store_file": (
        "{file} is not a file of the store in {data_dir}.",
        "{file} 不是数据目录 {data_dir} 中的存储文件。",
    ),
}
