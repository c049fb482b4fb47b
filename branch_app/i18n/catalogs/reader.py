"""Text of the card reader: `branch-app readers` and `card ...`, the card widget, the status slot.

`readers` cannot import this catalog, so its errors carry a code and parameters: the sentence is
`reader.error.<code>` (`t(f"reader.error.{error.code}", **error.params)`), and a field the card
did not give is `reader.unreadable.<reason>`.
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
    # errors: `ReaderError.code` -> sentence (parameters from `error.params`)
    "reader.error.reader_error": (
        "The card reader failed.",
        "读卡器出错。",
    ),
    "reader.error.no_service": (
        "The smart card service (PC/SC) is not running: start it, or ask support to.",
        "智能卡服务（PC/SC）未运行：请启动该服务或联系技术支持。",
    ),
    "reader.error.no_reader": (
        "No card reader is connected: plug the reader in and try again.",
        "未连接读卡器：请插好读卡器后重试。",
    ),
    "reader.error.reader_not_found": (
        "The card reader “{name}” is not connected: check its cable or the reader setting.",
        "读卡器“{name}”未连接：请检查连接线或读卡器设置。",
    ),
    "reader.error.no_card": (
        "There is no card in the reader: insert the social security card.",
        "读卡器中没有卡：请插入社会保障卡。",
    ),
    "reader.error.card_removed": (
        "The card was removed during the read: insert it again and keep it in until the read ends.",
        "读卡过程中卡被拔出：请重新插卡，读卡完成前不要取出。",
    ),
    "reader.error.card_not_responding": (
        "The card does not respond: take it out, check the chip is clean, and insert it again.",
        "卡片无响应：请取出卡片，检查芯片是否清洁后重新插入。",
    ),
    "reader.error.card_reset": (
        "Another program reset the card during the read: read it again.",
        "读卡过程中卡片被其他程序复位：请重新读卡。",
    ),
    "reader.error.not_social_security_card": (
        "This is not a social security card: insert the holder's social security card.",
        "这不是社会保障卡：请插入持卡人的社会保障卡。",
    ),
    "reader.error.malformed_response": (
        "The card gave an answer that cannot be understood: try again, or use another reader.",
        "卡片返回的数据无法识别：请重试或更换读卡器。",
    ),
    "reader.error.psam_missing": (
        "This card needs the reader's security module (PSAM), which is not available: type the ID number instead.",
        "此卡需要读卡器的安全模块（PSAM），当前不可用：请手工输入身份证号码。",
    ),
    "reader.error.psam_failed": (
        "The reader's security module (PSAM) could not authenticate the card: type the ID number instead.",
        "读卡器安全模块（PSAM）未能完成卡片认证：请手工输入身份证号码。",
    ),
    "reader.error.card_status": (
        "The card refused the command (status {sw}).",
        "卡片拒绝执行命令（状态字 {sw}）。",
    ),
    "reader.error.wrong_length": (
        "The card rejected the length of a command (status {sw}).",
        "卡片拒绝了命令长度（状态字 {sw}）。",
    ),
    "reader.error.security_status_not_satisfied": (
        "The card requires authentication before this data can be read (status {sw}).",
        "读取该数据前卡片要求先进行认证（状态字 {sw}）。",
    ),
    "reader.error.key_blocked": (
        "The card's authentication key is blocked: the holder must go to the card service agency.",
        "卡片认证密钥已锁定：持卡人需到社保卡服务机构处理。",
    ),
    "reader.error.conditions_not_satisfied": (
        "The card refused the command in its present state (status {sw}).",
        "卡片在当前状态下拒绝执行命令（状态字 {sw}）。",
    ),
    "reader.error.function_not_supported": (
        "The card does not support this function, or the application is locked (status {sw}).",
        "卡片不支持该功能或应用已锁定（状态字 {sw}）。",
    ),
    "reader.error.file_not_found": (
        "The card does not hold the requested file or application (status {sw}).",
        "卡片上没有所需的文件或应用（状态字 {sw}）。",
    ),
    "reader.error.record_not_found": (
        "The card does not hold the requested record (status {sw}).",
        "卡片上没有所需的记录（状态字 {sw}）。",
    ),
    "reader.error.wrong_parameters": (
        "The card rejected the command's parameters (status {sw}).",
        "卡片拒绝了命令参数（状态字 {sw}）。",
    ),
    "reader.error.verification_failed": (
        "The card rejected the authentication; {tries_left} tries are left. Do not try again: have the card checked.",
        "卡片拒绝认证，剩余 {tries_left} 次机会。请勿重试，请检查卡片。",
    ),
    "reader.error.application_locked": (
        "The card's application is permanently locked: the holder needs a new card.",
        "卡片应用已永久锁定：持卡人需要换领新卡。",
    ),
    "reader.error.reader_busy": (
        "Another program is using the card reader: close it and try again.",
        "其他程序正在使用读卡器：请关闭该程序后重试。",
    ),
    # why a field is missing from a reading: `Unreadable` -> words
    "reader.unreadable.not_on_card": (
        "not stored on this card",
        "卡内无此项",
    ),
    "reader.unreadable.malformed": (
        "stored in a form that cannot be read",
        "数据格式无法识别",
    ),
    "reader.unreadable.refused": (
        "the card refused to give it",
        "卡片拒绝读取",
    ),
    "reader.unreadable.needs_psam": (
        "needs the reader's security module (PSAM): type the ID number instead",
        "需要读卡器安全模块（PSAM）：请手工输入身份证号码",
    ),
    "reader.unreadable.psam_failed": (
        "the security module (PSAM) failed: type the ID number instead",
        "安全模块（PSAM）认证失败：请手工输入身份证号码",
    ),
    "reader.unreadable.authentication_refused": (
        "the card refused the authentication (not retried, to protect the card): type the ID number instead",
        "卡片拒绝认证（为保护卡片不再重试）：请手工输入身份证号码",
    ),
    "reader.unreadable.key_blocked": (
        "the card's key is blocked: the holder must go to the card service agency",
        "卡片密钥已锁定：持卡人需到社保卡服务机构处理",
    ),
}
