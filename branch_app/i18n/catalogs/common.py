"""Words shared by every screen and command."""

MESSAGES: dict[str, tuple[str, str]] = {
    "common.app_title": ("Social Security Card Counter", "社会保障卡柜面系统"),
    "common.not_available": ("not available", "不可用"),
    "common.ok": ("OK", "确定"),
    "common.cancel": ("Cancel", "取消"),
    "common.yes": ("Yes", "是"),
    "common.no": ("No", "否"),
    "common.error": ("Error", "错误"),
}
