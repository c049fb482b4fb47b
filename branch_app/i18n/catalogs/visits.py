"""Home visits (上门服务): the day's visit list, planning it online, and the words of the counter's
screens where the device's place is a home visit (`<key>@home_visit`, see `i18n.for_place`)."""

AREAS = ("visits", "shell", "counter")

MESSAGES: dict[str, tuple[str, str]] = {
    # The menu
    "shell.group.home_visits": ("Home visits", "上门服务"),
    "visits.title": ("Today's home visits", "今日上门服务"),
    "visits.plan.title": ("Plan home visits", "规划上门服务"),
    # Needs and statuses
    "visits.need.application": ("Card application", "申领社保卡"),
    "visits.need.loss_report": ("Loss report", "挂失"),
    "visits.need.data_change": ("Change of contact details", "信息变更"),
    "visits.need.query": ("Query", "查询"),
    "visits.status.to_do": ("To do", "待上门"),
    "visits.status.in_progress": ("In progress", "进行中"),
    "visits.status.done": ("Done", "已完成"),
    "visits.status.not_at_home": ("Nobody at home", "家中无人"),
    "visits.central.record": ("record fetched", "已取得记录"),
    "visits.central.no_record": ("unknown to the central", "中心无记录"),
    # Columns
    "visits.col.position": ("No.", "序号"),
    "visits.col.holder": ("ID number", "证件号码"),
    "visits.col.name": ("Name", "姓名"),
    "visits.col.address": ("Address", "地址"),
    "visits.col.need": ("Needs", "办理事项"),
    "visits.col.status": ("Status", "状态"),
    "visits.col.central": ("Central", "中心记录"),
    # The day's list
    "visits.intro": (
        "Enter starts the visit and serves that person; come back here to record who was "
        "present and to end it with the receipts.",
        "按回车开始上门服务并为该人员办理；办理后回到此处记录在场人员，结束时打印或保存回执。",
    ),
    "visits.empty": (
        "No visits planned for today. Plan them at the branch, online, before leaving.",
        "今日没有上门服务安排。请出发前在网点联网时规划。",
    ),
    "visits.count": ("{finished} of {planned} visits finished", "已完成 {finished}/{planned} 户"),
    "visits.detail.title": ("The visit", "本次上门"),
    "visits.detail.none": ("Choose a visit in the list.", "请在列表中选择一户。"),
    "visits.detail.summary": (
        "No. {position} · {holder} · {name}\nNeeds: {need} — {why}\nStatus: {status}",
        "第 {position} 户 · {holder} · {name}\n办理事项：{need} — {why}\n状态：{status}",
    ),
    "visits.detail.times": ("From {start} to {end}", "时间：{start} 至 {end}"),
    "visits.detail.since": ("In progress since {start}", "{start} 开始，进行中"),
    "visits.detail.requests": (
        "Requests taken: {count} {references}",
        "已受理业务：{count} 项 {references}",
    ),
    "visits.detail.receipts": ("Receipts handed over: {count}", "已交付回执：{count} 份"),
    "visits.detail.address": ("Address visited", "实际上门地址"),
    "visits.detail.present": (
        "Who else is present (what they are to the holder, and their name)",
        "其他在场人员（与持卡人的关系及姓名）",
    ),
    "visits.detail.present_kind": ("a relative, a carer...", "如：女儿、护工"),
    "visits.detail.present_name": ("their name (Enter adds)", "姓名（回车添加）"),
    "visits.detail.present_line": ("{kind}: {name}", "{kind}：{name}"),
    "visits.detail.nobody_present": ("Nobody else recorded.", "未记录其他在场人员。"),
    # Keys
    "visits.key.start": ("Start visit", "开始上门"),
    "visits.key.not_at_home": ("Nobody at home", "家中无人"),
    "visits.key.end_save": ("End: save receipts", "结束：保存回执"),
    "visits.key.end_print": ("End: print receipts", "结束：打印回执"),
    "visits.key.reload": ("Reload", "刷新"),
    "visits.key.add": ("Add visit", "添加"),
    "visits.key.remove": ("Remove visit", "删除"),
    # What happened
    "visits.started": (
        "Visit {position} started: serving {holder}. Come back here to end it.",
        "第 {position} 户上门服务已开始：正在为 {holder} 办理。办理后回到此处结束。",
    ),
    "visits.recorded": ("Recorded.", "已记录。"),
    "visits.ended": (
        "Visit {position} ended: {requests} requests, {receipts} receipts {how}.",
        "第 {position} 户上门服务已结束：受理 {requests} 项业务，回执 {receipts} 份已{how}。",
    ),
    "visits.ended.saved": ("saved", "保存"),
    "visits.ended.printed": ("printed", "打印"),
    "visits.ended_not_at_home": (
        "Visit {position}: nobody at home, recorded.",
        "第 {position} 户：家中无人，已记录。",
    ),
    "visits.receipts_failed": (
        "The visit was not ended: a receipt could not be made ({reason}).",
        "上门服务未结束：回执未能生成（{reason}）。",
    ),
    "visits.failed": (
        "The visit list could not be read or written ({detail}).",
        "上门服务清单无法读取或保存（{detail}）。",
    ),
    "visits.gate.no_staff": ("Sign in first.", "请先登录。"),
    "visits.gate.no_store": (
        "The local store is not open yet.",
        "本地数据尚未打开。",
    ),
    # Planning
    "visits.plan.intro": (
        "Before leaving the branch, plan the day's visits. Each person's record is fetched "
        "from the central now (recorded as a home-visit lookup), so the day's decisions rest "
        "on a fresh record.",
        "出发前在网点规划当日上门服务。系统即时从中心调取每人的记录（按上门服务目的登记查询），"
        "当日办理均以最新记录为准。",
    ),
    "visits.plan.needs_central": (
        "Planning needs the central: connect to the branch network, then plan the visits.",
        "规划上门服务需要连接中心：请接入网点网络后再规划。",
    ),
    "visits.plan.not_a_planner": (
        "Only home-visit staff and supervisors plan home visits.",
        "仅上门服务人员和主管可以规划上门服务。",
    ),
    "visits.plan.holder": ("ID number", "证件号码"),
    "visits.plan.name": ("Name", "姓名"),
    "visits.plan.address": ("Address", "地址"),
    "visits.plan.need": ("What they need", "办理事项"),
    "visits.plan.why": ("Why a home visit", "上门原因"),
    "visits.plan.why_placeholder": (
        "e.g. bedridden, cannot travel",
        "如：卧床，无法到网点",
    ),
    "visits.plan.checking": ("Fetching the record from the central...", "正在从中心调取记录……"),
    "visits.plan.added": (
        "Visit {position} planned: {holder}, {central}.",
        "第 {position} 户已安排：{holder}，{central}。",
    ),
    "visits.plan.removed": ("Visit {position} removed.", "第 {position} 户已删除。"),
    "visits.plan.count": ("{planned} visits planned for {day}", "{day} 已安排 {planned} 户"),
    # Refusals (VisitRefusal)
    "visits.refusal.not_a_planner": (
        "Only home-visit staff and supervisors plan home visits.",
        "仅上门服务人员和主管可以规划上门服务。",
    ),
    "visits.refusal.name_required": ("Type the person's name.", "请输入姓名。"),
    "visits.refusal.address_required": ("Type the address.", "请输入地址。"),
    "visits.refusal.why_required": (
        "Say why the person needs a home visit.",
        "请填写上门原因。",
    ),
    "visits.refusal.no_central": (
        "Planning needs the central: connect to the branch network, then plan the visits.",
        "规划上门服务需要连接中心：请接入网点网络后再规划。",
    ),
    "visits.refusal.already_planned": (
        "This person is already on the day's list.",
        "此人已在当日清单中。",
    ),
    "visits.refusal.unknown_visit": ("That visit is no longer on the list.", "该户已不在清单中。"),
    "visits.refusal.not_on_a_home_visit": (
        "Visits are made with the home-visit laptop.",
        "上门服务须使用上门服务笔记本办理。",
    ),
    "visits.refusal.another_in_progress": (
        "Visit {position} is still in progress: end it first.",
        "第 {position} 户尚未结束，请先结束该户。",
    ),
    "visits.refusal.already_finished": (
        "This visit is already over.",
        "该户上门服务已结束。",
    ),
    "visits.refusal.not_in_progress": (
        "Start the visit first.",
        "请先开始上门服务。",
    ),
    "visits.refusal.present_incomplete": (
        "Give both what the person is to the holder and their name.",
        "请同时填写在场人员与持卡人的关系及其姓名。",
    ),
    # The counter's screens on a home visit (i18n.for_place)
    "counter.intro.application@home_visit": (
        "Take an application at the holder's home. Check the holder's ID document before you "
        "submit.",
        "在持卡人家中受理社保卡申领。提交前请核验持卡人的身份证件。",
    ),
    "counter.intro.loss_report@home_visit": (
        "The holder reports the card lost at their home, in person, with a valid ID. The social "
        "security function and the bank account are both frozen at once.",
        "持卡人本人在家中持有效证件办理挂失。社保功能和银行账户同步冻结。",
    ),
    "counter.intro.data_change@home_visit": (
        "At the holder's home, the holder (or the guardian) changes the mobile number or the "
        "address; no new card. A change of name, ID number or birth date needs the police "
        "record and a visit to a branch.",
        "在持卡人家中，由持卡人（或监护人）变更手机号码或联系地址，无需换卡。"
        "姓名、证件号码或出生日期变更须凭公安记录到网点办理。",
    ),
    "counter.intro.query@home_visit": (
        "Look at the person's card record at their home. Every query is recorded with its purpose.",
        "在持卡人家中查询其卡片记录。每次查询都会连同目的一并记录。",
    ),
    "counter.choice.presenter@home_visit": (
        "Who applies, at the holder's home",
        "办理人（上门服务）",
    ),
}
