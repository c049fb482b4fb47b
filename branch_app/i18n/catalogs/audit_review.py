"""Text of the audit journal screen (a supervisor's search, chain check and export for an
inspector). The chain's problems are said in the words `branch-app store verify-audit` uses
(`store.audit.*`)."""

MESSAGES: dict[str, tuple[str, str]] = {
    "audit_review.title": ("Audit journal", "审计日志"),
    "audit_review.intro": (
        "Who did what on this device, newest first. A search by holder is itself recorded "
        "(with its purpose); holders are shown masked.",
        "本设备上的操作记录，最新的在前。按持卡人查询本身也会记入日志（含查询目的）；持卡人信息已遮蔽。",
    ),
    "audit_review.search_panel": ("Search", "查询"),
    "audit_review.results": ("Entries", "日志条目"),
    "audit_review.label.holder": ("Holder's ID number", "持卡人证件号码"),
    "audit_review.label.purpose": ("Purpose of a holder search", "按持卡人查询的目的"),
    "audit_review.label.note": ("Note (optional)", "备注（可选）"),
    "audit_review.label.actor": ("Member of staff", "工作人员工号"),
    "audit_review.label.action": ("Action", "操作"),
    "audit_review.label.period": ("From – to (YYYY-MM-DD)", "起止日期（年-月-日）"),
    "audit_review.label.folder": ("Export folder", "导出文件夹"),
    "audit_review.any_action": ("(any action)", "（全部操作）"),
    "audit_review.choose_purpose": ("(choose)", "（请选择）"),
    "audit_review.placeholder.holder": ("18-character ID number", "18 位证件号码"),
    "audit_review.placeholder.actor": ("e.g. T001", "例如 T001"),
    "audit_review.placeholder.from": ("from", "开始"),
    "audit_review.placeholder.to": ("to", "结束"),
    "audit_review.key.search": ("Search", "查询"),
    "audit_review.key.verify": ("Verify chain", "校验日志链"),
    "audit_review.key.export": ("Export period", "导出期间"),
    "audit_review.col.n": ("No.", "序号"),
    "audit_review.col.when": ("When", "时间"),
    "audit_review.col.actor": ("Staff", "工作人员"),
    "audit_review.col.action": ("Action", "操作"),
    "audit_review.col.holder": ("Holder", "持卡人"),
    "audit_review.col.reason": ("Why", "原因"),
    "audit_review.col.device": ("Device", "设备"),
    "audit_review.found": ("{count} entries.", "共 {count} 条。"),
    "audit_review.found_more": (
        "The newest {count} entries are shown; narrow the search to see older ones.",
        "仅显示最新的 {count} 条；请缩小查询范围以查看更早的条目。",
    ),
    "audit_review.found_none": ("No entry matches.", "没有符合条件的条目。"),
    "audit_review.searched_holder": (
        "This search was recorded as entry {n}.",
        "本次查询已记为第 {n} 条日志。",
    ),
    "audit_review.detail": (
        "Entry {n} · {actor} · {device} · branch {branch}",
        "第 {n} 条 · {actor} · 设备 {device} · 网点 {branch}",
    ),
    "audit_review.detail.reason": ("Why: {reason}", "原因：{reason}"),
    "audit_review.about_holder": ("Holder {holder}:", "持卡人 {holder}："),
    "audit_review.detail.refs": ("References: {refs}", "关联：{refs}"),
    "audit_review.detail.recovered": (
        "Written when the journal reopened after a crash.",
        "该条目于程序异常后重新打开日志时补记。",
    ),
    "audit_review.verifying": ("Checking the chain…", "正在校验日志链…"),
    "audit_review.verify_hint": (
        "Run `branch-app store check` and call support; do not change the journal's files.",
        "请运行 `branch-app store check` 并联系技术支持；不要改动日志文件。",
    ),
    "audit_review.exported": (
        "{count} entries written to {path} (SHA-256 {sha256}); the export is entry {n}.",
        "已将 {count} 条写入 {path}（SHA-256 {sha256}）；本次导出记为第 {n} 条日志。",
    ),
    "audit_review.export_failed": (
        "The file could not be written ({detail}); the attempt is recorded in the journal.",
        "文件未能写入（{detail}）；此次尝试已记入日志。",
    ),
    "audit_review.refused.bad_date": (
        "Type dates as YYYY-MM-DD, e.g. 2025-03-14.",
        "日期格式为 年-月-日，例如 2025-03-14。",
    ),
    "audit_review.refused.period_backwards": (
        "The period ends before it starts.",
        "结束日期早于开始日期。",
    ),
    "audit_review.refused.period_required": (
        "An export needs both dates of its period.",
        "导出需填写起止两个日期。",
    ),
    "audit_review.refused.purpose_required": (
        "Choose why you search this holder's entries: the search is recorded.",
        "请选择查询该持卡人记录的目的：本次查询将被记录。",
    ),
    "audit_review.refused.note_too_long": (
        "The note is too long (at most 200 characters).",
        "备注过长（最多 200 个字符）。",
    ),
}
