"""Text of the supervisor's tools: the sync queue, conflicts and approvals screens."""

MESSAGES: dict[str, tuple[str, str]] = {
    # shared
    "supervisor.key.reload": ("Refresh", "刷新"),
    "supervisor.key.sync_now": ("Sync now", "立即同步"),
    "supervisor.key.close_item": ("Close item", "关闭该笔"),
    "supervisor.key.resolve": ("Resolve", "处理冲突"),
    "supervisor.key.back": ("Back", "返回"),
    "supervisor.gate.not_supervisor": (
        "Only a signed-in supervisor can use this tool.",
        "仅限已登录的主管使用此功能。",
    ),
    "supervisor.gate.no_store": (
        "The local store is not open yet; wait a moment or restart the application.",
        "本地数据尚未打开，请稍候或重新启动程序。",
    ),
    "supervisor.failed": (
        "That did not work ({detail}); nothing was changed. Try again or call support.",
        "操作未成功（{detail}），未做任何更改。请重试或联系技术支持。",
    ),
    "supervisor.working": ("Working…", "正在处理…"),
    "supervisor.note.too_short": (
        "Write a note of a few words: it is kept with the decision.",
        "请填写几句说明，说明将随处理结果一并保存。",
    ),
    "supervisor.note.too_long": (
        "The note is too long (at most 500 characters).",
        "说明过长（最多 500 个字符）。",
    ),
    # columns
    "supervisor.col.status": ("Status", "状态"),
    "supervisor.col.holder": ("Holder", "持卡人"),
    "supervisor.col.kind": ("Request", "业务"),
    "supervisor.col.actor": ("Made by", "经办人"),
    "supervisor.col.made_at": ("Made at", "办理时间"),
    "supervisor.col.reason": ("Reason", "原因"),
    "supervisor.col.device": ("Device", "设备"),
    "supervisor.col.when": ("When", "时间"),
    # outbox statuses
    "supervisor.status.pending": ("waiting to be sent", "待发送"),
    "supervisor.status.sending": ("being sent", "发送中"),
    "supervisor.status.accepted": ("accepted", "已受理"),
    "supervisor.status.merged": ("already true", "已生效（无需变更）"),
    "supervisor.status.conflict": ("conflict", "冲突"),
    "supervisor.status.rejected": ("rejected", "被拒绝"),
    # reasons beyond the lifecycle's (those are domain.refusal.*)
    "supervisor.reason.none": ("no reason given", "未说明原因"),
    "supervisor.reason.other": (
        "refused ({code}) {message}",
        "被拒绝（{code}）{message}",
    ),
    "supervisor.reason.id_reused": (
        "the request's id was used before for another request",
        "该业务编号已被另一笔业务使用",
    ),
    "supervisor.reason.unknown_kind": (
        "the central does not know this kind of request",
        "中心不支持此类业务",
    ),
    "supervisor.reason.malformed_payload": (
        "the request's details are damaged",
        "业务内容已损坏",
    ),
    "supervisor.reason.malformed_command": (
        "the request's details cannot be read (checked on this device)",
        "业务内容无法读取（本机检查）",
    ),
    "supervisor.reason.incomplete_item": (
        "the request is incomplete (checked on this device)",
        "业务信息不完整（本机检查）",
    ),
    "supervisor.reason.invalid_holder": (
        "the holder's ID number is not valid",
        "持卡人证件号码无效",
    ),
    "supervisor.reason.unknown_actor": (
        "the member of staff is not known to the central",
        "中心不认识该经办人",
    ),
    "supervisor.reason.actor_wrong_branch": (
        "the member of staff belongs to another branch",
        "经办人属于其他网点",
    ),
    "supervisor.reason.maker_not_proven": (
        "the central could not verify who made the request (no valid signature of theirs)",
        "中心无法确认经办人身份（缺少其有效签名）",
    ),
    "supervisor.reason.approver_not_proven": (
        "the central could not verify the approving supervisor (no valid signature of theirs)",
        "中心无法确认审批主管身份（缺少其有效签名）",
    ),
    "supervisor.reason.device_mismatch": (
        "the request names another device",
        "业务所列设备与本机不符",
    ),
    "supervisor.reason.branch_mismatch": (
        "the request names another branch",
        "业务所列网点与本机不符",
    ),
    "supervisor.reason.not_permitted": (
        "this role may not do this here",
        "该岗位在此处无权办理此业务",
    ),
    "supervisor.reason.internal_error": (
        "the central failed on it; it will be sent again",
        "中心处理出错，将重新发送",
    ),
    "supervisor.reason.invalid_body": (
        "the central could not read the request",
        "中心无法读取该业务",
    ),
    "supervisor.reason.invalid_json": (
        "the central could not read the request",
        "中心无法读取该业务",
    ),
    "supervisor.reason.body_too_large": (
        "the request is too large",
        "业务数据过大",
    ),
    # the sync queue
    "supervisor.queue.title": ("Sync queue", "同步队列"),
    "supervisor.queue.summary": ("Queue", "队列概况"),
    "supervisor.queue.items": (
        "Not taken by the central (rejected and conflicts)",
        "中心未受理的业务（被拒绝和冲突）",
    ),
    "supervisor.queue.intro": (
        "Rejected requests can never be sent as they are: close each with a note once dealt "
        "with. Conflicts are resolved on the Conflicts screen.",
        "被拒绝的业务无法按原样发送：处理后请逐笔填写说明并关闭。冲突请在“冲突处理”中处理。",
    ),
    "supervisor.queue.count.pending": ("Waiting to be sent", "待发送"),
    "supervisor.queue.count.sending": ("Being sent", "发送中"),
    "supervisor.queue.count.accepted": ("Accepted (all time)", "已受理（累计）"),
    "supervisor.queue.count.merged": ("Already true (all time)", "已生效（累计）"),
    "supervisor.queue.count.conflict": ("Conflicts", "冲突"),
    "supervisor.queue.count.rejected": ("Rejected", "被拒绝"),
    "supervisor.queue.oldest": ("Oldest unsent", "最早未发送"),
    "supervisor.queue.oldest_value": ("{age} (made {at})", "{age}（办理于 {at}）"),
    "supervisor.queue.none_unsent": ("nothing waiting", "无待发送业务"),
    "supervisor.queue.last_sync": ("Last sync", "上次同步"),
    "supervisor.queue.never": ("never", "从未同步"),
    "supervisor.queue.nothing": ("Nothing to show.", "暂无可显示的内容。"),
    "supervisor.queue.all_clear": (
        "Every request the central did not take has been dealt with.",
        "中心未受理的业务均已处理完毕。",
    ),
    "supervisor.queue.hint_rejected": (
        "Tell the teller, redo the request at the counter if needed, then close it here with a note.",
        "请告知经办柜员，如有需要在柜面重新办理，然后在此填写说明并关闭。",
    ),
    "supervisor.queue.hint_conflict": (
        "A conflict is resolved on the Conflicts screen, with the central.",
        "冲突须在“冲突处理”中与中心一同处理。",
    ),
    "supervisor.queue.note_label": (
        "Note (what was done about it; required)",
        "说明（处理情况，必填）",
    ),
    "supervisor.queue.note_placeholder": (
        "e.g. redone at the counter with the right ID number",
        "例如：已在柜面按正确证件号码重新办理",
    ),
    "supervisor.queue.select_first": (
        "Choose an item in the list first.",
        "请先在列表中选择一笔。",
    ),
    "supervisor.queue.closed": (
        "Closed {count} item(s); the note is kept in the audit journal.",
        "已关闭 {count} 笔，说明已记入审计日志。",
    ),
    "supervisor.queue.no_sync": (
        "This device has no connection to a central configured.",
        "本机未配置中心连接。",
    ),
    # conflicts
    "supervisor.conflicts.title": ("Conflicts", "冲突处理"),
    "supervisor.conflicts.list": ("Open conflicts", "待处理冲突"),
    "supervisor.conflicts.detail": ("Details", "详情"),
    "supervisor.conflicts.loading": ("Asking the central…", "正在查询中心…"),
    "supervisor.conflicts.from_central": (
        "{count} open conflict(s) of this branch, from the central.",
        "本网点共有 {count} 笔待处理冲突（来自中心）。",
    ),
    "supervisor.conflicts.reconciled": (
        "{count} resolved elsewhere were closed on this device.",
        "另有 {count} 笔已在别处处理，本机已同步关闭。",
    ),
    "supervisor.conflicts.offline": (
        "{problem} Showing the {count} conflict(s) this device knows; resolving needs the central.",
        "{problem} 以下为本机已知的 {count} 笔冲突；处理冲突需连接中心。",
    ),
    "supervisor.conflicts.no_sync": (
        "This device has no connection to a central configured.",
        "本机未配置中心连接。",
    ),
    "supervisor.conflicts.no_session": (
        "Your sign-in was checked offline: sign out and in again while the central answers.",
        "您当前为离线登录：请在中心可连接时重新登录。",
    ),
    "supervisor.conflicts.none": ("No open conflicts.", "没有待处理的冲突。"),
    "supervisor.conflicts.refused": ("Refused request", "被拒业务"),
    "supervisor.conflicts.made_by": ("Made by", "经办人"),
    "supervisor.conflicts.made_at": ("Made at", "办理时间"),
    "supervisor.conflicts.where": ("Branch / device", "网点 / 设备"),
    "supervisor.conflicts.found_at": ("Found by the central", "中心发现时间"),
    "supervisor.conflicts.record_then": (
        "The central's record when it refused",
        "拒绝时中心的记录",
    ),
    "supervisor.conflicts.record": ("Record", "记录"),
    "supervisor.conflicts.no_record": ("no record at the central", "中心无此人记录"),
    "supervisor.conflicts.application": ("{kind}, {status}", "{kind}，{status}"),
    "supervisor.conflicts.hint_resolve": (
        "F7 or Enter: resolve (the central's current record is looked up first, audited).",
        "按 F7 或回车处理（先查询中心当前记录，查询将被审计）。",
    ),
    "supervisor.conflicts.hint_offline": (
        "Known on this device only: resolving needs the central.",
        "仅本机记录：处理冲突需连接中心。",
    ),
    "supervisor.conflicts.reviewing": (
        "Looking up the central's current record…",
        "正在查询中心当前记录…",
    ),
    # the decision
    "supervisor.resolve.title": ("Resolve the conflict", "处理冲突"),
    "supervisor.resolve.record_now": ("The central's record now", "中心当前记录"),
    "supervisor.resolve.record_old": (
        "The current record could not be fetched ({problem}); shown as it was when refused.",
        "无法获取当前记录（{problem}）；以下为拒绝时的记录。",
    ),
    "supervisor.resolve.decision": ("Decision", "处理决定"),
    "supervisor.resolve.upheld": (
        "Uphold: the central's record stands",
        "维持：以中心记录为准",
    ),
    "supervisor.resolve.corrected": ("Correct: {command}", "更正为：{command}"),
    "supervisor.resolve.no_correction": (
        "No counter request would change the record now: only upholding is possible.",
        "当前没有可改变该记录的柜面业务，只能维持。",
    ),
    "supervisor.resolve.note_label": (
        "Note: what the holder was told (required)",
        "说明：已告知持卡人的内容（必填）",
    ),
    "supervisor.resolve.note_placeholder": (
        "e.g. told the holder the card was reported lost online; replacement offered",
        "例如：已告知持卡人该卡已在网上挂失，建议补领",
    ),
    "supervisor.resolve.submit": ("Resolve", "确认处理"),
    "supervisor.resolve.cancelled": ("Nothing was decided.", "未做处理。"),
    "supervisor.resolve.done": (
        "Conflict of {holder} resolved: {decision}. Recorded in the audit journal.",
        "{holder} 的冲突已处理：{decision}。已记入审计日志。",
    ),
    "supervisor.resolve.correction_refused": (
        "The central did not apply the correction (the record changed again); nothing was stored. "
        "Refresh and decide again.",
        "中心未执行该更正（记录已再次变化），未保存任何内容。请刷新后重新处理。",
    ),
    "supervisor.resolve.already_closed": (
        "Another supervisor has already resolved this conflict. Refresh the list.",
        "该冲突已由其他主管处理，请刷新列表。",
    ),
    "supervisor.resolve.not_found": (
        "The central does not know this conflict for this branch. Refresh the list.",
        "中心没有本网点的这笔冲突，请刷新列表。",
    ),
    "supervisor.resolve.not_recorded": (
        "The central has resolved the conflict, but this device could not write it down; "
        "refresh (F4) to close it here, and tell support if it persists.",
        "中心已处理该冲突，但本机未能记录；请按 F4 刷新以在本机关闭，如仍有问题请联系技术支持。",
    ),
    "supervisor.decision.upheld": ("upheld", "维持原记录"),
    "supervisor.decision.corrected": ("corrected", "已更正"),
    # approvals
    "supervisor.approvals.title": ("Approvals", "复核审批"),
    "supervisor.approvals.intro": (
        "Approvals are given at the counter: a teller's cancellation carries the approving "
        "supervisor, who types the password there. These are the approvals this device recorded.",
        "审批在柜面当场进行：柜员办理注销时须由主管在本机输入工号和密码。以下为本机记录的审批。",
    ),
    "supervisor.approvals.requested_by": ("Requested by", "申请柜员"),
    "supervisor.approvals.approved_by": ("Approved by", "审批主管"),
    "supervisor.approvals.verified": ("Password checked", "密码已核验"),
    "supervisor.approvals.yes": ("yes", "是"),
    "supervisor.approvals.no": ("NO", "否"),
    "supervisor.approvals.count": ("{count} approval(s).", "共 {count} 笔审批。"),
    "supervisor.approvals.unverified": (
        "{count} without a password check: confirm them with the approver.",
        "其中 {count} 笔未核验密码，请与审批人确认。",
    ),
}
