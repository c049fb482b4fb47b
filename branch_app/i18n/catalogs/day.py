"""The day's list and the end of the day."""

MESSAGES: dict[str, tuple[str, str]] = {
    "day.title": ("Today's requests", "当日业务"),
    "day.intro": (
        "Every request you accepted today and where it stands. Type a reference or the holder's "
        "ID number to find one; F11 prints its receipt again, Ctrl+S saves it; F8: end of the day.",
        "您今天受理的全部业务及其状态。输入业务编号或持卡人证件号码查找；F11 重新打印回执，"
        "Ctrl+S 保存回执；F8：日终汇总。",
    ),
    "day.intro_everyone": (
        "Every request accepted at this device today, by every teller, and where it stands. Type a "
        "reference or the holder's ID number to find one; F11 prints its receipt again, Ctrl+S "
        "saves it; F8: end of the day.",
        "本机今天受理的全部业务（所有柜员）及其状态。输入业务编号或持卡人证件号码查找；"
        "F11 重新打印回执，Ctrl+S 保存回执；F8：日终汇总。",
    ),
    "day.search.placeholder": (
        "reference or holder's ID number",
        "业务编号或持卡人证件号码",
    ),
    "day.col.time": ("Time", "时间"),
    "day.col.reference": ("Reference", "业务编号"),
    "day.col.service": ("Service", "业务类型"),
    "day.col.holder": ("Holder", "持卡人"),
    "day.col.fee": ("Fee", "收费"),
    "day.col.status": ("Status", "状态"),
    "day.status.queued": ("queued", "待发送"),
    "day.status.sent": ("sent", "已发送"),
    "day.status.applied": ("applied", "已生效"),
    "day.status.refused": ("refused", "被拒绝"),
    "day.status.conflict": ("conflict", "有冲突"),
    "day.status.upheld": ("conflict, upheld by supervisor", "冲突，主管维持中心记录"),
    "day.status.corrected": ("conflict, corrected by supervisor", "冲突，主管已更正"),
    "day.count": ("{shown} of {total} requests", "共 {total} 笔，显示 {shown} 笔"),
    "day.empty": ("No request accepted today.", "今天尚未受理业务。"),
    "day.no_store": ("The local store is not open.", "本机数据未打开。"),
    "day.key.end_of_day": ("End of day", "日终汇总"),
    "day.key.reload": ("Reload", "刷新"),
    "day.summary.title": ("End of the day", "日终汇总"),
    "day.summary.pdf_title": ("End-of-day summary", "日终业务汇总表"),
    "day.summary.day": ("Day", "日期"),
    "day.summary.teller": ("Teller", "经办人"),
    "day.summary.total": ("Requests accepted", "受理笔数"),
    "day.summary.fees": ("Fees taken in cash", "现金收费合计"),
    "day.summary.unsent": ("Still unsent", "尚未发送"),
    "day.summary.refused": ("Refused or in conflict", "被拒绝或有冲突"),
    "day.summary.confirm_intro": (
        "A supervisor confirms the day's figures with their staff id and password.",
        "请主管输入工号和密码确认当日汇总。",
    ),
    "day.summary.supervisor": ("Supervisor's staff id", "主管工号"),
    "day.summary.password": ("Supervisor's password", "主管密码"),
    "day.summary.confirm": ("Confirm", "确认"),
    "day.summary.print": ("Print", "打印"),
    "day.summary.cancel": ("Close", "关闭"),
    "day.summary.confirmed": (
        "The day is closed, confirmed by {supervisor} (audit entry {n}).",
        "当日业务已由 {supervisor} 确认（审计记录 {n}）。",
    ),
    "day.summary.not_confirmed": ("Not confirmed: {reason}", "未能确认：{reason}"),
    "day.summary.needs_supervisor": (
        "enter the supervisor's staff id and password",
        "请输入主管工号和密码",
    ),
    "day.summary.saved": ("Summary saved: {path}", "汇总表已保存：{path}"),
}
