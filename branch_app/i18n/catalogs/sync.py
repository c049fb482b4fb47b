"""Text of the sync: errors, the status bar, login and enrolment screens, `branch-app sync`."""

MESSAGES: dict[str, tuple[str, str]] = {
    # errors a teller can meet, each with what to do next
    "sync.progress.not_answering": (
        "The central is not answering. Every request stays queued on this device and is sent "
        "by itself as soon as the central answers again (checked every 30 seconds). You can "
        "close this window and keep working.",
        "中心没有响应。所有业务都保存在本机，中心恢复后自动发送（每 30 秒检查一次）。"
        "可以关闭本窗口，继续办理。",
    ),
    "sync.progress.slow": (
        "The central has not answered yet; still trying. Esc closes this window: the requests "
        "stay queued and are sent in the background.",
        "中心尚未响应，正在重试。按 Esc 可关闭本窗口：业务仍保存在本机，将在后台发送。",
    ),
    "sync.error.unknown": (
        "Something went wrong talking to the central service. Try again; if it persists, call support.",
        "与中心服务通信时出错。请重试；如仍然出错，请联系技术支持。",
    ),
    "sync.error.offline": (
        "The central service cannot be reached. Work continues offline; requests are kept and sent later.",
        "无法连接中心服务。可以继续离线办理，业务已保存，稍后自动发送。",
    ),
    "sync.error.refused": (
        "The central service is not answering (it may be restarting). Requests are kept; try again in a few minutes.",
        "中心服务没有响应（可能正在重启）。业务已保存，请几分钟后重试。",
    ),
    "sync.error.connection_lost": (
        "The connection to the central service broke. Requests are kept and will be sent again safely.",
        "与中心服务的连接中断。业务已保存，将安全地重新发送。",
    ),
    "sync.error.timeout": (
        "The central service took too long to answer. Requests are kept; try again later.",
        "中心服务响应超时。业务已保存，请稍后重试。",
    ),
    "sync.error.server": (
        "The central service reported an error. Requests are kept; try again later.",
        "中心服务报告错误。业务已保存，请稍后重试。",
    ),
    "sync.error.busy": (
        "The central service is busy. Requests are kept and will be sent shortly.",
        "中心服务繁忙。业务已保存，稍后发送。",
    ),
    "sync.error.rejected": (
        "The central service refused the request. Ask a supervisor to check the sync queue.",
        "中心服务拒绝了请求。请主管检查同步队列。",
    ),
    "sync.error.auth": (
        "This device or session is not accepted by the central service. Log in again or re-enrol the device.",
        "中心服务不接受本设备或本次登录。请重新登录或重新登记设备。",
    ),
    "sync.error.not_enrolled": (
        "This device is not enrolled yet. Enter the one-time code from your administrator.",
        "本设备尚未登记。请输入管理员提供的一次性登记码。",
    ),
    "sync.error.insecure_url": (
        "The central service address must use HTTPS. Ask support to correct the configuration.",
        "中心服务地址必须使用 HTTPS。请联系技术支持修改配置。",
    ),
    "sync.error.keyring": (
        "No secure credential store is available on this computer. Ask support to set one up.",
        "本机没有可用的安全凭据存储。请联系技术支持配置。",
    ),
    "sync.error.busy_running": (
        "A sync is already running. Wait for it to finish.",
        "同步正在进行中，请等待完成。",
    ),
    "sync.error.unanswered": (
        "The central service did not answer some requests; they will be sent again.",
        "中心服务未答复部分业务，将重新发送。",
    ),
    "sync.cancelled": (
        "Sync cancelled. Unsent requests are kept.",
        "同步已取消。未发送的业务已保存。",
    ),
    # status bar
    "sync.status.online": ("Online", "在线"),
    "sync.status.offline": ("Offline", "离线"),
    "sync.status.syncing": ("Syncing…", "同步中…"),
    "sync.status.unknown": ("Not checked", "未检测"),
    "sync.status.online_last": ("online · last sync {when}", "在线 · 上次同步 {when}"),
    "sync.status.offline_last": ("offline · last sync {when}", "离线 · 上次同步 {when}"),
    "sync.status.syncing_last": ("syncing… · last sync {when}", "同步中… · 上次同步 {when}"),
    "sync.status.queue": ("Queue: {count}", "待发送：{count}"),
    "sync.status.oldest": ("oldest {age}", "最早 {age}"),
    "sync.status.last_sync": ("Last sync: {when}", "上次同步：{when}"),
    "sync.status.never": ("never", "从未"),
    "sync.status.conflicts": ("Conflicts: {count}", "冲突：{count}"),
    "sync.age.seconds": ("{n} s", "{n} 秒"),
    "sync.age.minutes": ("{n} min", "{n} 分钟"),
    "sync.age.hours": ("{n} h", "{n} 小时"),
    "sync.age.days": ("{n} d", "{n} 天"),
    # sync runs
    "sync.command.sync_now": ("Sync now", "立即同步"),
    "sync.command.sync_now_help": (
        "Send queued requests to the central service and fetch changes",
        "发送待办业务到中心服务并获取最新变更",
    ),
    "sync.progress.title": ("Sending requests", "正在发送业务"),
    "sync.finished.ok": (
        "Sync finished: {sent} sent, {pulled} changes received.",
        "同步完成：已发送 {sent} 笔，收到 {pulled} 条变更。",
    ),
    "sync.background.refused": (
        "The central refused {count} request(s) just sent: a supervisor resolves them "
        "(Sync queue, Conflicts).",
        "刚发送的业务中有 {count} 笔被中心拒绝，由主管处理（同步队列、冲突处理）。",
    ),
    "sync.finished.conflicts": (
        "{count} request(s) conflict with the central record; a supervisor will review them.",
        "{count} 笔业务与中心记录冲突，将由主管处理。",
    ),
    "sync.summary.title": ("Sync summary", "同步结果"),
    "sync.summary.outcome.applied": ("applied", "已受理"),
    "sync.summary.outcome.duplicate": ("already received", "重复（已受理）"),
    "sync.summary.outcome.merged": ("already true", "已生效（合并）"),
    "sync.summary.outcome.conflict": ("conflict", "冲突"),
    "sync.summary.outcome.rejected": ("rejected", "被拒绝"),
    "sync.summary.pulled": ("changes received", "收到变更"),
    "sync.summary.remaining": ("still queued", "仍待发送"),
    "sync.summary.retries": ("retries", "重试次数"),
    # login
    "sync.login.title": ("Staff login", "员工登录"),
    "sync.login.staff_id": ("Staff ID", "工号"),
    "sync.login.password": ("Password", "密码"),
    "sync.login.submit": ("Log in", "登录"),
    "sync.login.offline_note": (
        "Central service unreachable: logged in offline.",
        "无法连接中心服务：已离线登录。",
    ),
    "sync.login.failed": ("Staff ID or password is wrong.", "工号或密码错误。"),
    "sync.login.locked": (
        "Too many failed attempts. Try again in {minutes} min.",
        "失败次数过多，请 {minutes} 分钟后重试。",
    ),
    "sync.login.first_needs_central": (
        "The first login on this device needs the central service. Connect and try again.",
        "在本设备首次登录需要连接中心服务。请联网后重试。",
    ),
    "sync.login.expired": (
        "Your session timed out. Log in again.",
        "登录已超时，请重新登录。",
    ),
    "sync.login.empty": ("Enter your staff ID and password.", "请输入工号和密码。"),
    "sync.login.welcome": ("Logged in as {name} ({role}).", "已登录：{name}（{role}）。"),
    # enrolment
    "sync.enrol.title": ("Enrol this device", "登记本设备"),
    "sync.enrol.explain": (
        "This device is not enrolled with the central service yet. Enter the one-time code from your administrator.",
        "本设备尚未在中心服务登记。请输入管理员提供的一次性登记码。",
    ),
    "sync.enrol.code": ("One-time code", "一次性登记码"),
    "sync.enrol.device_name": ("Device name", "设备名称"),
    "sync.enrol.submit": ("Enrol", "登记"),
    "sync.enrol.skip": ("Later (work offline)", "稍后（离线工作）"),
    "sync.enrol.done": ("Device enrolled as {device_id}.", "设备已登记：{device_id}。"),
    "sync.enrol.bad_code": (
        "The code is wrong, used or expired. Ask your administrator for a new one.",
        "登记码错误、已使用或已过期。请向管理员索取新的登记码。",
    ),
    # the central's whole-request errors, one per sync.protocol.ErrorCode (`sync.central.<code>`,
    # filled with the error's params); the wire's English `message` is for API users only
    "sync.central.invalid_json": ("The request was not valid JSON.", "请求内容不是有效的 JSON。"),
    "sync.central.invalid_body": (
        "The request does not match the protocol.",
        "请求内容不符合通信协议。",
    ),
    "sync.central.body_too_large": ("The request is too large.", "请求内容过大。"),
    "sync.central.batch_too_large": (
        "A batch may hold at most {max} requests.",
        "每批最多 {max} 笔业务。",
    ),
    "sync.central.invalid_query": ("The query parameters are not valid.", "查询参数无效。"),
    "sync.central.unauthorized": (
        "This device is not enrolled or its token is wrong.",
        "本设备未登记或设备令牌错误。",
    ),
    "sync.central.session_required": (
        "Please log in again: the staff session is missing or has expired.",
        "请重新登录：工作人员会话缺失或已过期。",
    ),
    "sync.central.forbidden": ("Your role may not do this.", "您的岗位无权执行此操作。"),
    "sync.central.invalid_credentials": ("Staff ID or password is wrong.", "工号或密码错误。"),
    "sync.central.locked_out": (
        "Too many failed log-ins; try again later.",
        "登录失败次数过多，请稍后再试。",
    ),
    "sync.central.invalid_code": (
        "The enrolment code is wrong, used or expired.",
        "登记码错误、已使用或已过期。",
    ),
    "sync.central.not_found": ("Not found.", "未找到。"),
    "sync.central.channels_disabled": (
        "The simulated channels are not enabled on this server.",
        "本服务器未启用模拟渠道。",
    ),
    "sync.central.conflict_closed": ("This conflict is already resolved.", "该冲突已处理。"),
    "sync.central.correction_refused": (
        "The correcting request was not applied.",
        "更正业务未能执行。",
    ),
    "sync.central.method_not_allowed": ("Method not allowed.", "不支持该请求方法。"),
    "sync.central.unsupported_media_type": (
        "The central refused the request's format (not JSON).",
        "中心拒绝了请求格式（不是 JSON）。",
    ),
    "sync.central.rate_limited": (
        "Too many attempts; try again later.",
        "尝试次数过多，请稍后再试。",
    ),
    "sync.central.internal_error": (
        "The central service failed; try again later.",
        "中心服务出错，请稍后再试。",
    ),
    # command line
    "sync.cli.help": ("send queued requests and fetch changes", "发送待办业务并获取变更"),
    "sync.cli.enrol_help": ("enrol this device with a one-time code", "使用一次性登记码登记本设备"),
    "sync.cli.enrolled": ("Enrolled as device {device_id}.", "已登记为设备 {device_id}。"),
    "sync.cli.nothing": ("Nothing to send.", "没有待发送的业务。"),
}
