"""The receipt (受理回执) of an accepted request, and printing it."""

MESSAGES: dict[str, tuple[str, str]] = {
    "receipt.title": (
        "Guangzhou Social Security Card: Receipt of Request",
        "广州市社会保障卡业务受理回执",
    ),
    "receipt.label.reference": ("Reference", "业务编号"),
    "receipt.label.service": ("Service", "业务类型"),
    "receipt.label.holder": ("Holder's ID number", "持卡人证件号码"),
    "receipt.label.fee": ("Fee", "收费金额"),
    "receipt.label.fee_reason": ("Why this fee", "收费依据"),
    "receipt.label.due": ("Card ready by", "预计领卡日期"),
    "receipt.label.branch": ("Branch", "受理网点"),
    "receipt.label.teller": ("Teller", "经办人"),
    "receipt.label.time": ("Accepted at", "受理时间"),
    "receipt.fee_amount": ("CNY {amount}", "人民币 {amount} 元"),
    "receipt.due_instant": ("today, in 5 to 10 minutes", "当场制卡，约 5 至 10 分钟"),
    "receipt.none": ("none", "无"),
    "receipt.service.apply_first": ("First application", "首次申领"),
    "receipt.service.apply_replacement": ("Replacement", "补领"),
    "receipt.service.apply_exchange": ("Exchange", "换领"),
    "receipt.service.apply_instant": ("Instant issuance", "即时制卡"),
    "receipt.service.report_loss": ("Loss report", "挂失"),
    "receipt.service.unlock": ("Unlock after a loss", "解除挂失"),
    "receipt.service.cancel": ("Cancellation", "注销"),
    "receipt.service.confirm_collection": ("Collection of the new card", "领取新卡"),
    "receipt.service.confirm_issuance": ("Issuance of the instant card", "即时制卡发卡"),
    "receipt.next.collect": (
        "Collect the card at this branch from {due}, with this receipt and your ID document.",
        "请于 {due} 起凭本回执及有效身份证件到本网点领取新卡。",
    ),
    "receipt.next.provisional": (
        "The date rests on a holiday schedule not yet published and may move by a few days.",
        "该日期所依据的节假日安排尚未公布，可能顺延数日。",
    ),
    "receipt.next.instant": (
        "Wait at the counter: the card is printed here in 5 to 10 minutes.",
        "请在柜台等候：新卡约 5 至 10 分钟当场制成。",
    ),
    "receipt.next.cancelled_by": (
        "The card agency cancels the card by {day}.",
        "社保卡经办机构将于 {day} 前完成注销。",
    ),
    "receipt.next.report_loss": (
        "The card's social security function and bank account are frozen. If you find the "
        "card, bring it to unlock; otherwise apply for a replacement.",
        "该卡社保功能和银行账户已冻结。如找回卡片，请持卡办理解除挂失；否则请申请补领。",
    ),
    "receipt.next.unlock": (
        "Both functions of the card are restored.",
        "卡片社保功能和银行账户均已恢复。",
    ),
    "receipt.next.confirm_collection": (
        "The new card is yours; keep it safe.",
        "新卡已领取，请妥善保管。",
    ),
    "receipt.next.confirm_issuance": (
        "The new card is issued and recorded.",
        "新卡已制成并登记。",
    ),
    "receipt.next.other": ("Keep this receipt.", "请妥善保管本回执。"),
    "receipt.next.hotline": (
        "Questions: call the service hotline {hotline} and quote the reference.",
        "如有疑问请拨打服务热线 {hotline}，并告知业务编号。",
    ),
    # The counter's answer panel and the day's list
    "receipt.key.print": ("Print receipt", "打印回执"),
    "receipt.key.save": ("Save receipt PDF", "保存回执"),
    "receipt.key.english": ("Receipt in English", "英文回执"),
    "receipt.language_now": ("Receipts now in {name}.", "回执语言：{name}。"),
    "receipt.saved": ("Receipt saved: {path}", "回执已保存：{path}"),
    "receipt.printed": ("Receipt sent to the printer ({job}).", "回执已发送到打印机（{job}）。"),
    "receipt.print.error.no_file": ("the PDF was not made", "回执 PDF 未生成"),
    "receipt.print.error.no_lp": (
        "this computer has no printing system (CUPS lp)",
        "本机未安装打印系统（CUPS lp）",
    ),
    "receipt.print.error.refused": (
        "the printer refused the job: {detail}",
        "打印机拒绝打印：{detail}",
    ),
    "receipt.print.error.system": (
        "the printing system failed ({detail})",
        "打印系统出错（{detail}）",
    ),
    "receipt.print.failed": ("Not printed: {reason}", "未能打印：{reason}"),
    "receipt.font_missing": (
        "No Chinese font for the PDF: install fonts-wqy-zenhei.",
        "缺少生成 PDF 所需的中文字体：请安装 fonts-wqy-zenhei。",
    ),
    "receipt.unknown": (
        "No receipt is recorded for this request.",
        "该笔业务没有回执记录。",
    ),
}
