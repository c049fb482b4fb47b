"""The teller's services: applications, loss reports, unlocking, cancellation, queries."""

MESSAGES: dict[str, tuple[str, str]] = {
    # Screen titles
    "counter.title.application": ("Card application", "社保卡申领"),
    "counter.title.loss_report": ("Loss report", "挂失"),
    "counter.title.unlock": ("Unlock a lost card", "解除挂失"),
    "counter.title.cancellation": ("Cancellation", "注销"),
    "counter.title.query": ("Query a record", "查询"),
    "counter.answer.title": ("Answer", "办理结果"),
    # Keys
    "counter.key.submit": ("Submit", "提交"),
    "counter.key.new": ("New request", "新业务"),
    "counter.key.confirm": ("Confirm", "确认"),
    "counter.key.back": ("Back", "返回"),
    "counter.key.collect": ("Collect", "领卡"),
    "counter.key.issue_instant": ("Instant card issued", "即时卡已制成"),
    "counter.choice.instant_card": (
        "Number of the card just printed (instant issuance, F8)",
        "刚制成的卡号（即时制卡，按 F8）",
    ),
    # The holder
    "counter.holder.label": ("Holder's ID number", "持卡人证件号码"),
    "counter.holder.placeholder": (
        "type the number, or insert the card",
        "输入证件号码，或插入社保卡",
    ),
    "counter.holder.from_card": (
        "From the card in the reader: {masked}",
        "已从读卡器中的卡片读取：{masked}",
    ),
    "counter.holder.card_needs_psam": (
        "The card's holder data needs a security module: type the ID number.",
        "该卡需安全模块才能读取持卡人信息，请手工输入证件号码。",
    ),
    "counter.holder.valid": ("Valid: {masked}", "号码有效：{masked}"),
    "counter.holder.missing": ("Enter the holder's ID number first.", "请先输入持卡人证件号码。"),
    # Intros
    "counter.intro.application": (
        "Take an application for a card. Check the holder's ID document before you submit.",
        "受理社保卡申领。提交前请核验持卡人的身份证件。",
    ),
    "counter.intro.loss_report": (
        "The holder reports the card lost, in person, with a valid ID. The social security function "
        "and the bank account are both frozen at once, at whichever cooperating bank it is reported.",
        "持卡人本人持有效证件到网点办理挂失。无论在哪家合作银行网点挂失，社保功能和银行账户同步冻结。",
    ),
    "counter.intro.unlock": (
        "The holder found the card before applying for a replacement and brings it with a valid ID. "
        "Put the card in the reader, or type its number from the card's face if the chip cannot be "
        "read. Both functions are restored, at any cooperating bank.",
        "持卡人在申请补领前找回卡片，持卡及有效证件办理解除挂失。请将卡片插入读卡器，芯片无法读取时"
        "按卡面录入卡号。社保功能和银行账户同时恢复，任一合作银行网点均可办理。",
    ),
    "counter.intro.cancellation": (
        "Cancel the card for good. A teller's request needs a supervisor's approval.",
        "注销社保卡（不可恢复）。柜员办理须经主管审批。",
    ),
    "counter.intro.query": (
        "Look at a person's card record. Every query is recorded with its purpose.",
        "查询持卡人的卡片记录。每次查询都会连同目的一并记录。",
    ),
    # Choices
    "counter.choice.application_kind": ("Application", "申领类型"),
    "counter.kind.first": ("First application", "首次申领"),
    "counter.kind.replacement": ("Replacement (card lost)", "补领（卡片遗失）"),
    "counter.kind.exchange": ("Exchange", "换领"),
    "counter.choice.speed": ("Issuance", "制卡方式"),
    "counter.speed.normal": ("Normal (12 working days)", "普通（12 个工作日）"),
    "counter.speed.instant": ("Instant (5-10 minutes)", "即时制卡（5-10 分钟）"),
    "counter.choice.instant_not_here": (
        "Instant issuance: only at an instant-issuance branch, not here.",
        "即时制卡：仅限即时制卡网点，本网点不能办理。",
    ),
    "counter.choice.exchange_reason": ("Reason for the exchange", "换领原因"),
    "counter.exchange_reason.damage": ("Damaged card", "卡片损坏"),
    "counter.exchange_reason.expiry": ("Card expired", "卡片到期"),
    "counter.exchange_reason.card_face_change": ("Card-face data changed", "卡面信息变更"),
    "counter.exchange_reason.reading_failure": ("Card cannot be read", "卡片无法读取"),
    "counter.exchange_reason.change_of_bank": ("Change of bank", "更换银行"),
    "counter.exchange_reason.quality_problem": ("Card quality problem", "卡片质量问题"),
    "counter.choice.bank": ("New bank (change of bank only)", "新银行（仅更换银行时填写）"),
    "counter.choice.presenter": ("Who is at the counter", "办理人"),
    "counter.presenter.holder": ("The holder", "持卡人本人"),
    "counter.presenter.guardian": ("The legal guardian", "法定监护人"),
    "counter.presenter.agent": (
        "An agent (HK/Macau/Taiwan, foreigners)",
        "代理人（港澳台及外籍人员）",
    ),
    "counter.choice.guardianship_proof": (
        "Proof of guardianship shown (household register or birth certificate)",
        "已出示监护关系证明（户口簿或出生证明）",
    ),
    "counter.choice.holder_lacks_capacity": (
        "The holder is 16 or older but lacks legal capacity (the guardian acts)",
        "持卡人已满 16 周岁但无民事行为能力（由监护人办理）",
    ),
    "counter.choice.collector": ("Who collects the new card (F7)", "领卡人（按 F7 确认领卡）"),
    "counter.choice.agent_id": ("Agent's ID number", "代理人证件号码"),
    # Who is at the counter: the applicant form (ui/widgets/representative.py)
    "counter.applicant.holder_birth_date": (
        "Holder's birth date, from the document shown (the ID number gives none)",
        "持卡人出生日期（按所持证件填写，该证件号码不含出生日期）",
    ),
    "counter.applicant.representative": (
        "The guardian's or agent's own identity document: kind, number, name",
        "监护人或代理人本人证件：类型、号码、姓名",
    ),
    "counter.applicant.number_placeholder": ("document number", "证件号码"),
    "counter.applicant.name_placeholder": ("name as on the document", "证件上的姓名"),
    "counter.applicant.representative_birth_date": (
        "Their birth date, from the document (its number gives none)",
        "其出生日期（按证件填写，该证件号码不含出生日期）",
    ),
    "counter.applicant.date_placeholder": ("YYYY-MM-DD", "年-月-日，如 1980-06-01"),
    "counter.applicant.date_invalid": (
        "not a date: type it as YYYY-MM-DD",
        "不是有效日期：请按“年-月-日”格式输入",
    ),
    "counter.applicant.date_in_future": (
        "a birth date cannot be after today",
        "出生日期不能晚于今天",
    ),
    "counter.refusal.date_unreadable": ("{field}: {reason}", "{field}：{reason}"),
    "counter.confirm.holder_birth_date": ("Holder's birth date", "持卡人出生日期"),
    "counter.confirm.representative": ("Their document", "其本人证件"),
    "counter.confirm.representative_value": ("{kind} {masked}", "{kind} {masked}"),
    "counter.choice.photo_receipt": (
        "Photo receipt number (from the photo studio)",
        "相片回执号（照相馆回执上）",
    ),
    "counter.choice.police_photo": (
        "No receipt: use the holder's ID card photo from the police",
        "无回执：使用公安部门的身份证照片",
    ),
    "counter.confirm.photo": ("Photo", "相片"),
    "counter.photo.police": ("the ID card photo from the police", "公安部门的身份证照片"),
    "counter.photo.receipt": ("receipt {receipt}", "回执号 {receipt}"),
    "counter.choice.cancellation_reason": ("Reason for the cancellation", "注销原因"),
    "counter.cancel_reason.death": ("Death of the holder", "持卡人死亡"),
    "counter.cancel_reason.loss_of_entitlement": (
        "No longer entitled in Guangzhou",
        "不再享受广州社会保障待遇",
    ),
    "counter.cancel_reason.moved_out_of_province": ("Moved out of the province", "迁出本省"),
    "counter.cancel_reason.emigration": ("Emigration", "出国（境）定居"),
    "counter.cancel_reason.disappearance": ("Declared missing", "宣告失踪"),
    "counter.choice.approver": ("Approving supervisor's staff id", "审批主管工号"),
    "counter.choice.approver_password": (
        "Approving supervisor's password (the supervisor types it)",
        "审批主管密码（由主管本人输入）",
    ),
    "counter.choice.purpose": ("Purpose of the query", "查询目的"),
    "counter.purpose.counter_service": ("Counter service", "柜面业务"),
    "counter.purpose.application": ("Application", "申领"),
    "counter.purpose.conflict_review": ("Conflict review", "冲突复核"),
    "counter.purpose.loss_report": ("Loss report", "挂失"),
    "counter.purpose.unlock": ("Unlock", "解除挂失"),
    "counter.purpose.replacement_or_exchange": ("Replacement or exchange", "补换领"),
    "counter.purpose.cancellation": ("Cancellation", "注销"),
    "counter.purpose.home_visit": ("Home visit", "上门服务"),
    "counter.purpose.holder_enquiry": ("The holder's own enquiry", "持卡人本人查询"),
    "counter.choice.note": ("Note (optional)", "备注（可选）"),
    "counter.choice.none": ("(choose)", "（请选择）"),
    # Gating
    "counter.gate.no_staff": (
        "Sign in first: every request records who took it.",
        "请先登录：每笔业务都会记录经办人。",
    ),
    "counter.gate.no_store": (
        "No local store is open on this device, so nothing can be accepted here.",
        "本机未打开本地数据存储，无法受理业务。",
    ),
    "counter.gate.not_allowed": (
        "{role} cannot do this here: {reason}",
        "{role}不能在此办理：{reason}",
    ),
    # Confirm dialog
    "counter.confirm.title": ("Confirm the request", "确认业务"),
    "counter.confirm.holder": ("Holder", "持卡人"),
    "counter.confirm.action": ("Service", "业务"),
    "counter.confirm.fee": ("Fee", "工本费"),
    "counter.confirm.due": ("New card due", "预计制卡完成"),
    "counter.confirm.approver": ("Approved by", "审批人"),
    "counter.confirm.question": (
        "Take this request? It will be queued and sent when online.",
        "确认受理？业务将保存在本机，联网后发送。",
    ),
    "counter.confirm.question_online": (
        "Take this request? It will be sent to the central now.",
        "确认受理？业务将立即发送到中心。",
    ),
    "counter.confirm.cancelled": (
        "Not submitted: nothing was recorded.",
        "未提交：未记录任何内容。",
    ),
    "counter.fee.amount": ("{amount} yuan. {reason}", "{amount} 元。{reason}"),
    "counter.confirm.old_account": ("Old bank account", "原银行账户"),
    "counter.confirm.cancelled_by": ("Cancellation", "注销办结"),
    "counter.cancelled_by.date": (
        "the card agency cancels the card by {date}; the bank account is closed in person at the "
        "card's bank",
        "社保卡经办机构于 {date} 前完成注销；银行账户须到发卡银行当面销户",
    ),
    "counter.cancelled_by.provisional": (
        "the card agency cancels the card by {date} (provisional: the official holiday schedule "
        "for that year is not published yet); the bank account is closed in person at the card's "
        "bank",
        "社保卡经办机构于 {date} 前完成注销（暂定：当年官方节假日安排尚未公布）；银行账户须到发卡银行当面销户",
    ),
    "counter.old_account.date": (
        "the medical funds move to the new account; the old account is closed by {date}",
        "医保个人账户资金转入新账户，原账户于 {date} 前注销",
    ),
    "counter.old_account.provisional": (
        "the medical funds move to the new account; the old account is closed by {date} "
        "(provisional: the official holiday schedule for that year is not published yet)",
        "医保个人账户资金转入新账户，原账户于 {date} 前注销（暂定：当年官方节假日安排尚未公布）",
    ),
    "counter.due.date": ("by {date}", "{date} 前"),
    "counter.due.provisional": (
        "by {date} (provisional: the official holiday schedule for that year is not published yet)",
        "{date} 前（暂定：当年官方节假日安排尚未公布）",
    ),
    "counter.result.instant_ready": ("in 5-10 minutes (instant issuance)", "5-10 分钟（即时制卡）"),
    # Actions as named in confirmations and results
    "counter.action.apply": ("{application}, {speed}", "{application}，{speed}"),
    "counter.action.report_loss_card_bank": (
        "Loss report at a branch of the card's bank",
        "在卡片所属银行网点挂失",
    ),
    "counter.action.report_loss_other_bank": (
        "Loss report at another cooperating bank",
        "在其他合作银行网点挂失",
    ),
    "counter.action.unlock_card_bank": (
        "Unlock at a branch of the card's bank",
        "在卡片所属银行网点解除挂失",
    ),
    "counter.action.unlock_other_bank": (
        "Unlock at another cooperating bank",
        "在其他合作银行网点解除挂失",
    ),
    "counter.action.cancel": ("Cancellation: {reason}", "注销：{reason}"),
    "counter.choice.card_face_evidence": (
        "Police record number for the changed card-face data",
        "卡面信息变更所依据的公安证明编号",
    ),
    "counter.confirm.evidence": ("Evidence", "证明编号"),
    "counter.action.confirm_collection": ("Collection of the new card", "领取新卡"),
    "counter.action.confirm_issuance": (
        "Issuance of the new card {card_number}",
        "新卡制卡完成，卡号 {card_number}",
    ),
    # Results
    "counter.result.accepted": (
        "Accepted (queued, will be sent when online). Reference {reference}.",
        "已受理（已保存在本机，联网后发送）。业务编号 {reference}。",
    ),
    "counter.result.accepted_online": (
        "Accepted. Reference {reference}. Sent to the central; its answer follows here.",
        "已受理。业务编号 {reference}。已发送到中心，中心处理结果将在此显示。",
    ),
    "counter.result.accepted_fate": (
        "Accepted. Reference {reference}. {fate}",
        "已受理。业务编号 {reference}。{fate}",
    ),
    "counter.result.applied": ("Applied at the central.", "中心已办结。"),
    "counter.result.refused_by_central": (
        "Refused by the central: {reason} A supervisor resolves it (Conflicts).",
        "中心拒绝：{reason} 由主管处理（冲突处理）。",
    ),
    "counter.result.already_queued": (
        "Already queued as {reference}: the same request was taken earlier and is waiting to be"
        " sent. Nothing new was queued and no fee is taken again.",
        "该业务已受理（业务编号 {reference}），正在等待发送。本次未重复受理，也不再收费。",
    ),
    "counter.result.awaits_central": (
        "This device does not know this person yet and the central could not be asked: the card's"
        " state is checked by the central when the request is sent.",
        "本机尚无此人记录，且暂时无法查询中心：卡片状态将在业务发送时由中心核实。",
    ),
    "counter.result.refused_offline": (
        "This device has no record of this person and the central could not be asked: decided on"
        " what this device has. Try again once the central answers.",
        "本机没有此人的记录，且暂时无法查询中心：以上根据本机信息判断。请在中心恢复后重试。",
    ),
    "counter.result.merged": (
        "Already recorded: queued again for the record, nothing changes and no new fee.",
        "该业务此前已记录：再次保存备查，状态不变，不再收费。",
    ),
    "counter.result.refused": ("Not accepted: {reason}", "不予受理：{reason}"),
    "counter.result.next": ("What to do next: {next}", "下一步：{next}"),
    "counter.result.nothing_written": ("Nothing was recorded.", "未记录任何内容。"),
    "counter.result.failed": (
        "The request could not be saved on this device, so it is NOT accepted: {detail}",
        "业务未能保存在本机，因此未受理：{detail}",
    ),
    "counter.result.working": ("Saving…", "正在保存…"),
    "counter.result.checking": ("Checking…", "正在核验…"),
    # Counter refusals (CounterRefusal)
    "counter.refusal.not_an_instant_application": (
        "Only the card of an instant application is issued at the counter; the card agency "
        "reports every other new card itself.",
        "柜面只对即时制卡申领发卡；其他新卡由社保卡经办机构制卡后自行登记。",
    ),
    "counter.refusal.approver_not_verified": (
        "the approving supervisor's staff id and password do not match",
        "审批主管的工号与密码不符",
    ),
    "counter.refusal.purpose_required": ("a query needs a purpose", "查询须说明目的"),
    "counter.refusal.purpose_unknown": (
        "the query's purpose is not one of the listed purposes",
        "查询目的不在规定的目的之列",
    ),
    "counter.refusal.pending_item_unreadable": (
        "an unsent request for this person cannot be read on this device",
        "本机该持卡人有一笔待发送业务无法读取",
    ),
    "counter.refusal.agent_id_invalid": (
        "the agent's ID number is not valid: {reason}",
        "代理人证件号码无效：{reason}",
    ),
    # Next steps, by refusal code
    "counter.next.default": (
        "Check the details with the holder, or ask a supervisor.",
        "请与持卡人核对信息，或咨询主管。",
    ),
    "counter.next.no_loss_report": (
        "Take a loss report first (Loss report), then apply for the replacement.",
        "请先办理挂失，再申请补领。",
    ),
    "counter.next.card_loss_reported": (
        "Apply for a replacement, or unlock the card if the holder has found it.",
        "请申请补领；如持卡人已找回卡片，可办理解除挂失。",
    ),
    "counter.next.replacement_applied": (
        "The old card can no longer be used: the holder waits for the new card.",
        "旧卡已失效，请持卡人等待新卡制作完成。",
    ),
    "counter.next.no_live_card": (
        "Check the ID number, or query the record first (this device may not have it yet); "
        "a person without a card needs a first application.",
        "请核对证件号码，或先查询记录（本机可能尚无该记录）；尚未持卡的人员请办理首次申领。",
    ),
    "counter.next.live_card_exists": (
        "Use an exchange, or a loss report and a replacement, instead.",
        "请改为办理换领，或先挂失再补领。",
    ),
    "counter.next.application_pending": (
        "Wait until the new card is collected; or, if the holder wants something else, ask the"
        " supervisor to cancel the application and apply again.",
        "请等新卡领取后再办理；如持卡人需要办理其他业务，请主管撤销该申请后重新申请。",
    ),
    "counter.next.not_loss_reported": (
        "Nothing to unlock: the card is in normal use.",
        "该卡未挂失，无需解除。",
    ),
    "counter.next.card_cancelled": (
        "A cancelled card cannot be used again.",
        "已注销的卡片不能再使用。",
    ),
    "counter.next.approval_required": (
        "Ask a supervisor to approve and enter the supervisor's staff id.",
        "请主管审批，并录入主管工号。",
    ),
    "counter.next.approver_not_verified": (
        "The supervisor types the staff id and password again (5 wrong tries lock the id).",
        "请主管重新输入工号和密码（连续 5 次错误将锁定）。",
    ),
    "counter.next.approver_not_supervisor": (
        "Ask a supervisor to approve.",
        "请由主管审批。",
    ),
    "counter.next.approver_is_requester": (
        "Another supervisor must approve.",
        "须由其他主管审批。",
    ),
    "counter.next.guardian_required": (
        "The legal guardian must come with both IDs and proof of guardianship.",
        "须由法定监护人携双方证件及监护关系证明办理。",
    ),
    "counter.next.card_required": (
        "Read the found card on the reader, or type the number printed on its face.",
        "请在读卡器上读取找回的卡片，或录入卡面印制的卡号。",
    ),
    "counter.next.card_not_current": (
        "This is not the holder's current card: check the card, or apply for a replacement.",
        "该卡不是持卡人当前有效的卡片：请核对卡片，或申请补领。",
    ),
    "counter.next.death_evidence_required": (
        "Type the number of the police record or the death certificate.",
        "请录入公安户籍注销记录或死亡证明的编号。",
    ),
    "counter.next.representative_document_required": (
        "Type the guardian's or agent's own ID document: its kind, number and name.",
        "请录入监护人或代理人本人证件的类型、号码和姓名。",
    ),
    "counter.next.photo_required": (
        "Type the number on the photo studio's receipt, or tick the police ID photo.",
        "请输入照相馆回执上的相片回执号，或勾选使用公安身份证照片。",
    ),
    "counter.next.photo_receipt_malformed": (
        "Type the receipt number exactly as printed, letters and digits only.",
        "请按回执上印的相片回执号输入，只含字母和数字。",
    ),
    "counter.next.guardianship_proof_missing": (
        "Ask for the household register or the birth certificate.",
        "请出示户口簿或出生证明。",
    ),
    "counter.next.holder_must_attend": (
        "The holder must come in person.",
        "须由持卡人本人办理。",
    ),
    "counter.next.instant_needs_instant_branch": (
        "Take a normal application, or send the holder to an instant-issuance branch.",
        "请改为普通申领，或请持卡人到可即时制卡的网点办理。",
    ),
    "counter.next.unlock_needs_branch": (
        "The holder brings the card to a bank branch.",
        "请持卡人携卡到银行网点办理。",
    ),
    # Query
    "counter.query.submit": ("Look up", "查询"),
    "counter.query.source.central": ("From the central, just now", "来自中心（实时）"),
    "counter.query.source.cache": (
        "From this device's copy of {fetched_at}",
        "来自本机缓存（{fetched_at}）",
    ),
    "counter.query.source.none": (
        "Not known on this device (and the central was not reached)",
        "本机无记录（且未能连接中心）",
    ),
    "counter.query.source.central_none": (
        "The central has no record of this person (no card, no application)",
        "中心没有此人的记录（无卡、无申请）",
    ),
    "counter.query.central_not_configured": (
        "no central is configured on this device",
        "本机未配置中心",
    ),
    "counter.query.offline_note": ("Central not used: {problem}", "未查询中心：{problem}"),
    "counter.query.state": ("Card", "卡片状态"),
    "counter.query.card_number": ("Card number", "卡号"),
    "counter.query.social_security": ("Social security function", "社保功能"),
    "counter.query.financial": ("Bank account", "银行账户"),
    "counter.query.bank": ("Bank", "银行"),
    "counter.query.application": ("Application in progress", "办理中的申请"),
    "counter.query.application_value": (
        "{kind}, {speed}, accepted {accepted_on}, {status}",
        "{kind}，{speed}，{accepted_on} 受理，{status}",
    ),
    "counter.query.pending": ("Waiting to be sent from here", "本机待发送"),
    "counter.query.none": ("none", "无"),
    "counter.query.version": ("Record version", "记录版本"),
    "counter.state.no_card": ("no card", "未持卡"),
    "counter.state.active": ("in use", "正常使用"),
    "counter.state.loss_reported": ("reported lost", "已挂失"),
    "counter.state.cancelled": ("cancelled", "已注销"),
    "counter.function.none": ("none", "无"),
    "counter.function.normal": ("normal", "正常"),
    "counter.function.frozen": ("frozen", "冻结"),
    "counter.function.closed": ("closed", "已关闭"),
    "counter.app_status.in_production": ("in production", "制卡中"),
    "counter.app_status.ready": ("ready to collect", "待领取"),
    "counter.kind_name.apply": ("application", "申领"),
    "counter.kind_name.report_loss": ("loss report", "挂失"),
    "counter.kind_name.unlock": ("unlock", "解除挂失"),
    "counter.kind_name.cancel": ("cancellation", "注销"),
    "counter.kind_name.confirm_collection": ("collection", "领卡"),
    "counter.kind_name.confirm_issuance": ("issuance", "制卡完成"),
    # Loss report, unlock and cancellation (issue 11): the found card, both functions, evidence
    "counter.choice.found_card": (
        "Found card's number (read, or typed from its face)",
        "找回卡片的卡号（读卡，或按卡面录入）",
    ),
    "counter.found_card.placeholder": (
        "insert the card, or type its 9 characters",
        "插入卡片，或输入 9 位卡号",
    ),
    "counter.found_card.read": (
        "Read from the card in the reader: {number}",
        "已从读卡器中的卡片读取：{number}",
    ),
    "counter.found_card.typed": (
        "Typed from the card's face: {number} (check character correct)",
        "按卡面录入：{number}（校验位正确）",
    ),
    "counter.confirm.found_card": ("Found card", "找回的卡片"),
    "counter.found_card.how_read": ("{number}, read from the chip", "{number}（芯片读取）"),
    "counter.found_card.how_typed": (
        "{number}, typed from the card's face",
        "{number}（按卡面录入）",
    ),
    "counter.confirm.functions": ("Card functions after this", "办理后卡片功能"),
    "counter.functions.after": (
        "social security {social_security}, bank account {financial}",
        "社保功能{social_security}，银行账户{financial}",
    ),
    "counter.choice.death_evidence": (
        "Police record or death certificate number (for a death)",
        "公安户籍注销记录或死亡证明编号（死亡注销必填）",
    ),
    "counter.confirm.death_evidence": (
        "Police record or death certificate",
        "公安户籍注销记录或死亡证明",
    ),
    # -- One customer at a time, collection and the new card (issue 12) ------------------------
    "counter.customer.bar": (
        "Serving {holder} · {name} · since {since} · {count} done · F12 end · Ctrl+N name",
        "正在办理：{holder} · {name} · {since} 起 · 已办 {count} 项 · F12 结束 · Ctrl+N 姓名",
    ),
    "counter.customer.no_name": ("name not read", "姓名未读取"),
    "counter.customer.name_unknown": (
        "The holder's name is not known here (it comes from the card in the reader).",
        "本机没有持卡人姓名（姓名来自读卡器中的卡片）。",
    ),
    "counter.customer.name_shown": (
        "Name: {name} (shown for a few seconds; the reveal is recorded in the audit journal)",
        "姓名：{name}（仅显示数秒；本次查看已记入审计日志）",
    ),
    "counter.customer.ended": (
        "Customer served: every form and result is cleared for the next person.",
        "本位客户办理结束：所有表单和结果已清除。",
    ),
    "counter.customer.none": ("Nobody is being served.", "当前没有正在办理的客户。"),
    "counter.holder.from_session": (
        "The customer being served: {masked}",
        "正在办理的客户：{masked}",
    ),
    "counter.title.collection": ("Collection of a new card", "领卡"),
    "counter.intro.collection": (
        "Put the new card in the reader: its card number and social security number must match "
        "the application. The holder collects in person; for a child under 16 or a holder without "
        "legal capacity, the legal guardian does, with proof (never an agent).",
        "请将新卡插入读卡器：卡号和社会保障号码须与申请一致。持卡人本人领取；未满 16 周岁或"
        "无民事行为能力的，由法定监护人凭监护证明领取（不得委托代办）。",
    ),
    "counter.key.collect_here": ("Confirm collection", "确认领卡"),
    "counter.key.issue_here": ("Record the instant card issued", "登记即时卡已制成"),
    "counter.new_card.label": ("The new card", "新卡"),
    "counter.new_card.waiting": (
        "Put the new card in the reader.",
        "请将新卡插入读卡器。",
    ),
    "counter.new_card.read_ok": (
        "Read from the new card: {number} (its social security number is the holder's)",
        "已读取新卡：{number}（社会保障号码与持卡人一致）",
    ),
    "counter.new_card.typed_label": (
        "Only when the chip cannot be read: the number on the card's face, and why",
        "仅在芯片无法读取时：按卡面录入卡号，并说明原因",
    ),
    "counter.new_card.reason_placeholder": (
        "why the chip could not be read",
        "芯片无法读取的原因",
    ),
    "counter.new_card.not_read": (
        "Put the new card in the reader (or, if its chip cannot be read, type its number and why).",
        "请将新卡插入读卡器（芯片无法读取时，录入卡号并说明原因）。",
    ),
    "counter.new_card.reason_required": (
        "Say why the chip could not be read before typing the number.",
        "按卡面录入卡号时，须说明芯片无法读取的原因。",
    ),
    "counter.new_card.other_holder": (
        "This card belongs to someone else: its social security number is not the holder's.",
        "该卡不属于此持卡人：卡内社会保障号码与持卡人不一致。",
    ),
    "counter.new_card.number_differs": (
        "This is not the card made for this application (the card agency reported {reported}).",
        "该卡不是本次申请制作的卡（制卡机构报告的卡号为 {reported}）。",
    ),
    "counter.new_card.nothing_ready": (
        "No new card is ready for this holder.",
        "该持卡人没有待领取的新卡。",
    ),
    "counter.confirm.new_card": ("New card", "新卡"),
    "counter.confirm.collector": ("Collected by", "领卡人"),
    "counter.new_card.how_read": ("{number}, read from the chip", "{number}（芯片读取）"),
    "counter.new_card.how_typed": (
        "{number}, typed from the card's face ({reason})",
        "{number}（按卡面录入：{reason}）",
    ),
    "counter.query.new_card": ("New card number", "新卡卡号"),
}
