"""Text of `branch-app demo`."""

MESSAGES: dict[str, tuple[str, str]] = {
    "demo.starting": (
        "Starting the demo: a local central service, a simulated card, an in-memory keyring. "
        "Demo log-ins:",
        "正在启动演示：本地中心服务、模拟卡片、内存密钥环。演示账号：",
    ),
    "demo.title_mark": ("DEMO, keys in memory only", "演示，密钥仅在内存"),
}
