"""Text of `branch-app demo`."""

MESSAGES: dict[str, tuple[str, str]] = {
    "demo.starting": (
        "Starting the demo: a local central service, a simulated card, an in-memory keyring. "
        "Demo log-ins:",
        "正在启动演示：本地中心服务、模拟卡片、内存密钥环。演示账号：",
    ),
    "demo.title_mark": ("DEMO, keys in memory only", "演示，密钥仅在内存"),
    # The demo's own palette entries (branch_app/demo/palette.py)
    "demo.palette.prefix": ("Demo", "演示"),
    "demo.palette.stop": ("Stop the central service", "停止中心服务"),
    "demo.palette.stop_help": (
        "Work offline: requests are kept on this device and sent when it is back",
        "离线办理：业务保存在本机，中心恢复后自动发送",
    ),
    "demo.palette.restart": ("Restart the central service", "重新启动中心服务"),
    "demo.palette.restart_help": (
        "The central answers again: what waits is sent by itself",
        "中心恢复：待发送业务自动发送",
    ),
    "demo.palette.stopped": (
        "The central service is stopped: requests now wait on this device.",
        "中心服务已停止：业务暂存本机。",
    ),
    "demo.palette.restarted": (
        "The central service answers again: waiting requests are sent now.",
        "中心服务已恢复：待发送业务正在发送。",
    ),
    "demo.palette.loss_report": ("Online loss report", "网上挂失"),
    "demo.palette.card_issued": ("Card issued by the card agency", "经办机构制卡完成"),
    "demo.palette.death_record": ("Police death record", "公安死亡登记"),
    "demo.palette.channel_help": (
        "Another channel changes the record of the holder being served (else the card in the "
        "reader) at the central",
        "由其他渠道在中心变更当前办理人（否则为读卡器中卡片的持卡人）的记录",
    ),
    "demo.palette.played": (
        "{channel}: the central says {outcome}. The next sync brings it here.",
        "{channel}：中心结果为 {outcome}。下次同步后本机可见。",
    ),
    "demo.palette.failed": ("The demo could not do it: {detail}", "演示操作未完成：{detail}"),
}
