"""A home-visit laptop's offline limits and the supervisor's approval of its batch (issue 13):
the counter's refusals, the menu entry and the review screen, both languages."""

#: The areas this catalog adds to: the counter's refusals, the menu, the review screen.
AREAS = ("counter", "shell", "visit_batch")

MESSAGES: dict[str, tuple[str, str]] = {
    "counter.refusal.home_visit_batch_full": (
        "This laptop already holds {max_unsent} requests the supervisor has not approved, the "
        "branch's limit: sync at the branch, then ask the supervisor to approve the day's batch.",
        "本机已有 {max_unsent} 笔业务未经主管审核，已达网点上限：请回网点同步，"
        "再请主管审核当天的业务批次。",
    ),
    "counter.refusal.home_visit_sync_overdue": (
        "This laptop has not synced with the central for {hours} hours or more, the branch's "
        "limit: sync at the branch, then ask the supervisor to approve the day's batch.",
        "本机已有 {hours} 小时或更久未与中心同步，已达网点上限：请回网点同步，"
        "再请主管审核当天的业务批次。",
    ),
    "counter.refusal.home_visit_batch_unsent": (
        "{count} requests of the batch are not sent yet ({first}): sync, then approve the batch.",
        "本批次尚有 {count} 笔业务未发送（{first}）：请先同步，再审核批次。",
    ),
    "counter.refusal.home_visit_batch_empty": (
        "The batch holds no request since the last approval: there is nothing to approve.",
        "自上次审核以来本批次没有业务，无需审核。",
    ),
    "shell.service.visit_batch": ("Approve the home-visit batch", "审核上门业务批次"),
    "visit_batch.title": ("The home-visit batch", "上门业务批次"),
    "visit_batch.intro": (
        "Every request this laptop took since the last approval, with what the central answered. "
        "Sync first; approve once every request is answered.",
        "本机自上次审核以来办理的全部业务及中心的答复。请先同步，全部业务均有答复后再审核。",
    ),
    "visit_batch.limits": (
        "Limits of this branch: {max_unsent} requests, {hours} hours since the last sync.",
        "本网点上限：{max_unsent} 笔业务，距上次同步 {hours} 小时。",
    ),
    "visit_batch.last_sync": ("Last successful sync: {when}", "上次成功同步：{when}"),
    "visit_batch.never_synced": ("Last successful sync: never", "上次成功同步：从未"),
    "visit_batch.summary": (
        "{requests} requests: {applied} applied, {refused} refused, {unsent} not sent yet; "
        "{receipts} receipts printed or saved.",
        "共 {requests} 笔：已生效 {applied} 笔，被拒绝 {refused} 笔，未发送 {unsent} 笔；"
        "已打印或保存回执 {receipts} 份。",
    ),
    "visit_batch.empty": ("No request since the last approval.", "自上次审核以来没有业务。"),
    "visit_batch.col.reference": ("Reference", "业务编号"),
    "visit_batch.col.service": ("Service", "业务类型"),
    "visit_batch.col.holder": ("Holder", "持卡人"),
    "visit_batch.col.status": ("Status", "状态"),
    "visit_batch.col.answer": ("Answer", "中心答复"),
    "visit_batch.col.receipt": ("Receipt", "回执"),
    "visit_batch.receipt.printed": ("printed", "已打印"),
    "visit_batch.receipt.saved": ("saved", "已保存"),
    "visit_batch.receipt.none": ("none", "无"),
    "visit_batch.answer.none": ("-", "-"),
    "visit_batch.approve": ("Approve the batch", "审核通过"),
    "visit_batch.refresh": ("Read again", "刷新"),
    "visit_batch.back": ("Back", "返回"),
    "visit_batch.approved": (
        "Batch approved: {requests} requests (from {first} to {last}). The laptop may take "
        "requests again.",
        "批次已审核：共 {requests} 笔（序号 {first} 至 {last}）。本机可继续办理业务。",
    ),
    "visit_batch.unavailable": (
        "This device has no central configured: it has no batch to approve.",
        "本机未配置中心连接，没有需要审核的批次。",
    ),
}
