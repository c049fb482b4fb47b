"""The supervisor's Devices screen (issue 13): every device of the branch, the stuck ones first,
with why in words and the home-visit laptops' visit progress."""

MESSAGES: dict[str, tuple[str, str]] = {
    "devices.title": ("Devices", "设备状态"),
    "devices.list": ("Devices of the branch", "本网点设备"),
    "devices.detail": ("Selected device", "所选设备"),
    "devices.loading": (
        "Asking the central for the branch's devices…",
        "正在向中心查询本网点设备…",
    ),
    "devices.summary": (
        "{count} device(s) of the branch, {stuck} need a look (listed first). Refresh: F4.",
        "本网点设备 {count} 台，其中 {stuck} 台需要关注（排在前面）。刷新：F4。",
    ),
    "devices.none": ("The central lists no device for this branch.", "中心未登记本网点的设备。"),
    # Why there is no list
    "devices.no_central": (
        "This device has no central configured: only the central knows the branch's devices.",
        "本机未配置中心服务：网点设备状态只能从中心查询。",
    ),
    "devices.no_session": (
        "Sign in online as a supervisor to see the branch's devices (an offline sign-in cannot "
        "ask the central).",
        "请以主管身份联网登录后查看网点设备（离线登录无法查询中心）。",
    ),
    "devices.unreachable": (
        "The central cannot be reached, so the branch's devices cannot be shown now; "
        "try again with F4 when the network is back.",
        "无法连接中心，暂时无法显示网点设备；网络恢复后请按 F4 重试。",
    ),
    # Columns
    "devices.col.name": ("Device", "设备"),
    "devices.col.place": ("Place", "场所"),
    "devices.col.last_sync": ("Last sync", "最近同步"),
    "devices.col.queue": ("Queue", "待发"),
    "devices.col.oldest": ("Oldest", "最早待发"),
    "devices.col.refused": ("Refused", "退回"),
    "devices.col.version": ("Version", "版本"),
    "devices.col.audit": ("Audit", "日志"),
    "devices.col.visits": ("Visits", "今日上门"),
    "devices.field.visits": ("Visits today", "今日上门"),
    "devices.field.oldest": ("Oldest unsent", "最早待发业务"),
    "devices.col.why": ("Needs a look", "需关注"),
    # Cells
    "devices.place.branch": ("counter", "柜面"),
    "devices.place.instant_branch": ("instant", "即时制卡"),
    "devices.place.home_visit": ("home visit", "上门服务"),
    "devices.never": ("never", "从未"),
    "devices.revoked": ("revoked", "已注销"),
    "devices.visits": ("{done} of {planned} visits", "已完成 {done}/{planned} 户"),
    "devices.visits_short": ("{done} of {planned}", "{done}/{planned} 户"),
    "devices.age.minutes": ("{n} min", "{n} 分钟"),
    "devices.age.hours": ("{n} h", "{n} 小时"),
    "devices.age.days": ("{n} d", "{n} 天"),
    "devices.stuck.never_reported": ("never reported", "从未上报"),
    "devices.stuck.no_sync": ("no sync", "未同步"),
    "devices.stuck.refused_waiting": ("refused", "退回待处理"),
    "devices.stuck.audit_regressed": ("journal went back", "日志回退"),
    # The selected device, in sentences
    "devices.why.never_reported": (
        "No sync of this device has reached the central since it was enrolled.",
        "该设备登记以来从未与中心同步成功。",
    ),
    "devices.why.no_sync": (
        "Last synced {age}: check its network, or ask its user to sync.",
        "最近一次同步于{age}：请检查其网络，或请使用人立即同步。",
    ),
    "devices.why.refused_waiting": (
        "{count} request(s) the central refused wait for a supervisor on that device "
        "(its sync queue and conflicts).",
        "有 {count} 笔被中心退回的业务等待主管在该设备上处理（同步队列与冲突）。",
    ),
    "devices.why.audit_regressed": (
        "Its audit journal went back on {at}: it was cut short or restored from an older copy. "
        "Report it to the security officer.",
        "其审计日志于 {at} 出现回退：日志被截断或用旧副本恢复。请报告安全管理员。",
    ),
    "devices.why.revoked": (
        "This device was revoked: the central refuses it.",
        "该设备已注销，中心不再接受其请求。",
    ),
    "devices.why.well": ("Nothing waits on this device.", "该设备状态正常。"),
    "devices.field.id": ("Device ID", "设备编号"),
    "devices.field.reported": ("Last report", "最近上报"),
    "devices.field.batch": ("Awaiting your approval", "待主管审批"),
    "devices.field.batch_value": ("{count} request(s) of the day's batch", "当日批次 {count} 笔"),
    "devices.field.audit_value": ("{n} entries", "{n} 条"),
}
