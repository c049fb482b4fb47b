"""Text of the card reader: `branch-app readers` and `card ...`, the card widget, the status slot.

Errors themselves come with their own two sentences from `readers` (`error.message(lang)`),
because that package cannot import this catalog.
"""

MESSAGES: dict[str, tuple[str, str]] = {
    # command line
    "reader.cli.readers_help": (
        "list the card readers and whether a card is in each",
        "列出读卡器及其中是否有卡",
    ),
    "reader.cli.card_help": ("read or watch the social security card", "读取或监视社会保障卡"),
    "reader.cli.read_help": (
        "read the card in the reader and print its fields",
        "读取读卡器中的卡并显示各项信息",
    ),
    "reader.cli.watch_help": (
        "print card insertions and removals as they happen",
        "实时显示插卡和拔卡",
    ),
    "reader.cli.reader_option": (
        "reader name (a part of it is enough)",
        "读卡器名称（可只写一部分）",
    ),
    "reader.cli.psam_option": (
        "reader holding the PSAM for 3rd-generation cards",
        "放置三代卡安全模块（PSAM）的读卡器",
    ),
    "reader.cli.json_option": ("print JSON instead of text", "以 JSON 格式输出"),
    "reader.cli.unmasked_option": (
        "show the full ID number and name (needs --reason; audited)",
        "显示完整身份证号码和姓名（须填写 --reason，并记入审计）",
    ),
    "reader.cli.reason_option": (
        "why the full number is needed (recorded in the audit journal)",
        "需要完整号码的原因（记入审计日志）",
    ),
    "reader.cli.bank_option": (
        "also read the bank account number (always masked)",
        "同时读取银行卡号（始终遮蔽显示）",
    ),
    "reader.cli.backend_option": (
        "pcsc: real readers; simulated: the built-in test cards",
        "pcsc：真实读卡器；simulated：内置测试卡",
    ),
    "reader.cli.card_option": (
        "which built-in test card the simulated reader holds",
        "模拟读卡器中放置的内置测试卡",
    ),
    "reader.cli.timeout_option": ("stop watching after this many seconds", "监视指定秒数后停止"),
    "reader.cli.events_option": (
        "stop after this many insertions and removals",
        "插拔卡达到指定次数后停止",
    ),
    "reader.cli.reason_required": (
        'The full number is shown only with a reason: add --reason "...".',
        '只有填写原因才能显示完整号码：请加上 --reason "……"。',
    ),
    "reader.cli.audit_failed": (
        "The full number is not shown because the audit journal could not record it ({detail}). Open the application once, or ask support.",
        "无法写入审计日志（{detail}），因此不显示完整号码。请先打开一次本系统，或联系技术支持。",
    ),
    "reader.cli.config_error": (
        "The configuration cannot be used: {detail}",
        "配置无法使用：{detail}",
    ),
    "reader.cli.no_readers": ("No card reader is connected.", "未连接读卡器。"),
    "reader.cli.reader_line": ("{name}: {state}", "{name}：{state}"),
    "reader.cli.watching": (
        "Watching the card readers; press Ctrl+C to stop.",
        "正在监视读卡器；按 Ctrl+C 停止。",
    ),
    "reader.cli.simulated_note": (
        "(simulated reader: built-in test card, no real card is read)",
        "（模拟读卡器：内置测试卡，并未读取真实卡片）",
    ),
    "reader.state.card": ("card present", "有卡"),
    "reader.state.empty": ("no card", "无卡"),
    # events (command line and widget)
    "reader.event.inserted": ("Card inserted in {reader}.", "{reader} 已插卡。"),
    "reader.event.read": (
        "Card read in {reader}: {generation}, card number {card_number}, holder {holder}.",
        "{reader} 读卡成功：{generation}，卡号 {card_number}，持卡人 {holder}。",
    ),
    "reader.event.read_failed": (
        "Card in {reader} not read: {error}",
        "{reader} 中的卡未能读取：{error}",
    ),
    "reader.event.removed": ("Card removed from {reader}.", "已从 {reader} 取出卡片。"),
    "reader.event.attached": ("Reader connected: {reader}.", "读卡器已连接：{reader}。"),
    "reader.event.detached": ("Reader disconnected: {reader}.", "读卡器已断开：{reader}。"),
    "reader.event.service_lost": ("Card service lost: {error}", "读卡服务中断：{error}"),
    "reader.event.service_restored": ("Card service is back.", "读卡服务已恢复。"),
    # fields
    "reader.field.reader": ("Reader", "读卡器"),
    "reader.field.atr": ("ATR", "复位应答（ATR）"),
    "reader.field.generation": ("Generation", "卡片代别"),
    "reader.field.spec_version": ("Specification version", "规范版本"),
    "reader.field.card_identification_code": ("Card identification code", "卡识别码"),
    "reader.field.area_code": ("Issuing area", "发卡地区"),
    "reader.field.card_type": ("Card type", "卡类别"),
    "reader.field.issuing_organisation": ("Issuing organisation", "发卡机构"),
    "reader.field.issue_date": ("Issue date", "发卡日期"),
    "reader.field.expiry_date": ("Expiry date", "有效期至"),
    "reader.field.card_number": ("Card number", "社会保障卡卡号"),
    "reader.field.social_security_number": ("Social security number", "社会保障号码"),
    "reader.field.name": ("Name", "姓名"),
    "reader.field.sex": ("Sex", "性别"),
    "reader.field.ethnicity": ("Ethnicity code", "民族代码"),
    "reader.field.birthplace": ("Birthplace code", "出生地代码"),
    "reader.field.birth_date": ("Date of birth", "出生日期"),
    "reader.field.bank_pan_masked": ("Bank account", "银行卡号"),
    "reader.field.unreadable": ("Not read", "未读取"),
    "reader.value.none": ("—", "—"),
    "reader.value.no_expiry": ("no expiry printed", "无有效期"),
    "reader.generation.1": ("1st generation", "第一代"),
    "reader.generation.2": ("2nd generation", "第二代"),
    "reader.generation.3": ("3rd generation", "第三代"),
    "reader.generation.unknown": ("unknown generation", "代别未知"),
    "reader.sex.1": ("male", "男"),
    "reader.sex.2": ("female", "女"),
    "reader.needs_psam": (
        "The holder's data needs the reader's security module (PSAM): type the ID number and check it against the ID card.",
        "持卡人信息需要读卡器安全模块（PSAM）才能读取：请手工输入身份证号码，并与身份证核对。",
    ),
    "reader.masked_note": ("ID number and name are masked.", "身份证号码和姓名已遮蔽显示。"),
    # the card widget and the status bar slot
    "reader.widget.title": ("Card", "社保卡"),
    "reader.widget.no_reader": ("No card reader", "未连接读卡器"),
    "reader.widget.no_card": ("No card in {reader}", "{reader} 中无卡"),
    "reader.widget.reading": ("Reading the card in {reader}…", "正在读取 {reader} 中的卡……"),
    "reader.widget.card": (
        "{holder} · {generation} · {reader}",
        "{holder} · {generation} · {reader}",
    ),
    "reader.widget.card_psam": (
        "Card {card_number} · {generation} · type the ID number (no PSAM)",
        "卡号 {card_number} · {generation} · 请手工输入身份证号码（无 PSAM）",
    ),
    "reader.widget.failed": ("{error}", "{error}"),
    "reader.widget.service_lost": (
        "Card service stopped: reconnecting…",
        "读卡服务已停止：正在重新连接……",
    ),
    "reader.status.ready": ("ready, no card", "就绪，无卡"),
    "reader.status.card": ("card {holder}", "卡 {holder}"),
    "reader.status.reading": ("reading…", "读卡中……"),
    "reader.status.no_reader": ("no reader", "未连接读卡器"),
    "reader.status.no_service": ("card service stopped", "读卡服务已停止"),
    "reader.status.failed": ("card not read", "未能读卡"),
}
