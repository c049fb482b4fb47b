"""Texts of the domain: every refusal, identity and card number error, fee reason and the names of
states, channels, reasons, roles and places. The English text of an error is the domain's own
`str()` as a sentence (a test checks), so the screen and the logs say the same thing.
"""

MESSAGES: dict[str, tuple[str, str]] = {
    # identity number errors (IdentityError.code; params as in branch_app.domain.identity)
    "domain.identity.empty": ("No identity number was entered.", "未输入证件号码。"),
    "domain.identity.wrong_length": (
        "The number should have {expected} characters, got {length}.",
        "证件号码应为 {expected} 位，实际为 {length} 位。",
    ),
    "domain.identity.unknown_form": (
        "An identity number has 18 characters (15 for a 2017 permanent residence ID), got {length}.",
        "证件号码应为 18 位（2017 版外国人永久居留身份证为 15 位），实际为 {length} 位。",
    ),
    "domain.identity.first_generation": (
        "15-digit first-generation ID numbers are no longer valid; ask for the 18-character number.",
        "15 位一代身份证号码已停止使用，请提供 18 位号码。",
    ),
    "domain.identity.not_a_digit": (
        "Character {position} should be a digit, got {character}.",
        "第 {position} 位应为数字，实际为 {character}。",
    ),
    "domain.identity.not_a_letter": (
        "Character {position} should be a letter, got {character}.",
        "第 {position} 位应为英文字母，实际为 {character}。",
    ),
    "domain.identity.bad_check_form": (
        "Character 18 should be a digit or X, got {character}.",
        "第 18 位应为数字或 X，实际为 {character}。",
    ),
    "domain.identity.check_character": (
        "Check character should be {expected}, got {got}.",
        "校验码应为 {expected}，实际为 {got}。",
    ),
    "domain.identity.bad_area_code": (
        "Area code {area_code} does not start with a mainland province code.",
        "地区码 {area_code} 不是以内地省级行政区划代码开头。",
    ),
    "domain.identity.bad_permit_area_code": (
        "Residence permit area code should be 810000, 820000 or 830000, got {area_code}.",
        "居住证地区码应为 810000、820000 或 830000，实际为 {area_code}。",
    ),
    "domain.identity.bad_birth_date": (
        "Birth date {birth} is not a real date.",
        "出生日期 {birth} 不是有效日期。",
    ),
    "domain.identity.birth_date_in_future": (
        "Birth date {birth} is after today ({today}).",
        "出生日期 {birth} 晚于今天（{today}）。",
    ),
    "domain.identity.birth_date_too_early": (
        "Birth date {birth} is before 1900.",
        "出生日期 {birth} 早于 1900 年。",
    ),
    "domain.identity.kind_mismatch": (
        "The number is a {found} number, not a {expected} number.",
        "该号码属于证件类型 {found}，不是所选的 {expected}。",
    ),
    "domain.identity.bad_passport": (
        "A passport number has 5 to 18 letters or digits, got {length} characters.",
        "护照号码应为 5 至 18 位字母或数字，实际为 {length} 位。",
    ),
    # card number and card identification code (CardNumberError.code)
    "domain.card.empty": ("No card number was entered.", "未输入卡号。"),
    "domain.card.card_number_length": (
        "A card number has 9 characters, got {length}.",
        "卡号应为 9 位，实际为 {length} 位。",
    ),
    "domain.card.card_number_character": (
        "Character {position} of a card number should be a digit or a capital letter, got {character}.",
        "卡号第 {position} 位应为数字或大写字母，实际为 {character}。",
    ),
    "domain.card.card_number_check_character": (
        "Character 9 of a card number should be a digit or X, got {character}.",
        "卡号第 9 位应为数字或 X，实际为 {character}。",
    ),
    "domain.card.check_warning": (
        "Check character should be {expected}, got {got}; the number may still be right: compare it with the card.",
        "校验位应为 {expected}，实际为 {got}；号码仍可能正确，请与卡面核对。",
    ),
    "domain.card.code_length": (
        "A card identification code has 32 hexadecimal characters, got {length}.",
        "卡识别码应为 32 位十六进制字符，实际为 {length} 位。",
    ),
    "domain.card.code_character": (
        "Character {position} of a card identification code should be hexadecimal, got {character}.",
        "卡识别码第 {position} 位应为十六进制字符，实际为 {character}。",
    ),
    "domain.card.code_area": (
        "A card identification code starts with a 6-digit area code, got {area_code}.",
        "卡识别码应以 6 位地区码开头，实际为 {area_code}。",
    ),
    "domain.card.code_issuer": (
        "Characters 7 to 16 of a card identification code should be {expected}, got {got}.",
        "卡识别码第 7 至 16 位应为 {expected}，实际为 {got}。",
    ),
    # refusals (RefusalReason): lifecycle
    "domain.refusal.card_cancelled": (
        "The card has been cancelled. If the person is entitled again, apply for a new card.",
        "该卡已注销。如已重新具备参保资格，可申领新卡。",
    ),
    "domain.refusal.holder_deceased": (
        "The card was cancelled on the holder's death; nothing more can be done for this person.",
        "持卡人已身故，社保卡已注销，不能再办理任何业务。",
    ),
    "domain.refusal.card_required": (
        "Unlocking needs the found card: put it in the reader, or type its card number.",
        "解除挂失须出示找回的社保卡：请插卡读取，或录入卡号。",
    ),
    "domain.refusal.card_not_current": (
        "This is not the person's current card: unlock it only with the card that was reported lost.",
        "该卡不是持卡人当前的社保卡：只能用已挂失的原卡解除挂失。",
    ),
    "domain.refusal.nothing_to_cancel": (
        "The person has no card and none in production: there is nothing to cancel.",
        "该人员没有社保卡，也没有在制卡：无卡可注销。",
    ),
    "domain.refusal.no_live_card": ("The person has no card in use.", "该人员没有在用的社保卡。"),
    "domain.refusal.live_card_exists": (
        "The person already has a card (one card per person).",
        "该人员已有社保卡（一人一卡）。",
    ),
    "domain.refusal.application_pending": (
        "Another application for this person is in progress: wait until the new card is collected.",
        "该人员已有正在办理的申领：请待新卡领取后再办理。",
    ),
    "domain.refusal.no_loss_report": (
        "A replacement needs a loss report first.",
        "补领前须先办理挂失。",
    ),
    "domain.refusal.card_loss_reported": (
        "The card is reported lost: apply for a replacement, or unlock it if it was found.",
        "该卡已挂失：请办理补领；如已找回，请办理解除挂失。",
    ),
    "domain.refusal.lost_after_unlock": (
        "The card was reported lost through the card agency's channels (online, a hotline) after"
        " this unlock was made at the counter: it stays frozen. Ask the holder which is true.",
        "本次解除挂失办理后，中心又通过社保卡服务渠道（网上、热线）收到该卡的挂失：卡片仍保持冻结。"
        "请向持卡人核实实际情况。",
    ),
    "domain.refusal.not_loss_reported": ("The card is not reported lost.", "该卡未挂失。"),
    "domain.refusal.replacement_applied": (
        "A replacement has been applied for: the old card is dead and cannot be unlocked.",
        "已申请补领：原卡已作废，不能解除挂失。",
    ),
    "domain.refusal.exchange_reason_required": ("An exchange needs a reason.", "换领须注明原因。"),
    "domain.refusal.exchange_reason_not_allowed": (
        "Only an exchange takes an exchange reason.",
        "只有换领才需填写换领原因。",
    ),
    "domain.refusal.bank_required": (
        "A change of bank needs the new bank.",
        "变更银行须指定新的银行。",
    ),
    "domain.refusal.same_bank": (
        "A change of bank needs a bank other than the card's bank.",
        "变更银行须选择与原发卡银行不同的银行。",
    ),
    "domain.refusal.no_pending_application": (
        "There is no application in progress.",
        "没有正在办理的申领。",
    ),
    "domain.refusal.card_not_issued_yet": (
        "The new card has not been issued yet.",
        "新卡尚未制成。",
    ),
    "domain.refusal.application_already_issued": (
        "The new card has already been issued with another card number.",
        "新卡已以其他卡号制成。",
    ),
    "domain.refusal.card_number_malformed": (
        "The new card number is not a card number.",
        "新卡号格式不正确。",
    ),
    "domain.refusal.card_number_unchanged": (
        "The new card needs a card number other than the old one.",
        "新卡卡号不能与原卡相同。",
    ),
    "domain.refusal.date_before_acceptance": (
        "The date is before the application was accepted.",
        "该日期早于申领受理日期。",
    ),
    # refusals: roles and places
    "domain.refusal.role_not_at_place": (
        "This role does not work at this place.",
        "该岗位不能在此场所办理业务。",
    ),
    "domain.refusal.instant_needs_instant_branch": (
        "Instant issuance is possible only at an instant-issuance branch.",
        "即时制卡只能在具备即时制卡能力的网点办理。",
    ),
    "domain.refusal.unlock_needs_branch": (
        "Unlocking needs the holder and the card at a bank branch.",
        "解除挂失须由持卡人携带卡片到银行网点办理。",
    ),
    "domain.refusal.collection_needs_branch": (
        "A new card is collected at a bank branch.",
        "新卡须到银行网点领取。",
    ),
    "domain.refusal.not_on_home_visit": (
        "This service is not offered on a home visit.",
        "上门服务不办理此项业务。",
    ),
    # refusals: applicants
    "domain.refusal.guardian_required": (
        "The holder is under 16 or without legal capacity: the legal guardian must come.",
        "持卡人未满 16 周岁或无民事行为能力，须由法定监护人办理。",
    ),
    "domain.refusal.guardianship_proof_missing": (
        "The guardian must show proof of guardianship (household register or birth certificate).",
        "监护人须出示监护关系证明（户口簿或出生医学证明）。",
    ),
    "domain.refusal.holder_must_attend": (
        "The holder is 16 or older with legal capacity and must come in person.",
        "持卡人已满 16 周岁且具有民事行为能力，须本人办理。",
    ),
    "domain.refusal.agent_not_allowed": (
        "Only residents of Hong Kong, Macau or Taiwan and foreigners may send an agent.",
        "只有港澳台居民和外国人可以委托代理人办理。",
    ),
    "domain.refusal.agent_under_18": (
        "An agent must be 18 or older.",
        "代理人须年满 18 周岁。",
    ),
    "domain.refusal.agent_age_unknown": (
        "The agent's date of birth is needed to check the age.",
        "须提供代理人的出生日期以核验年龄。",
    ),
    "domain.refusal.holder_collects": (
        "The holder or the legal guardian collects the card in person.",
        "须由持卡人本人或法定监护人领卡。",
    ),
    "domain.refusal.issued_by_card_agency": (
        "The card agency reports the cards it makes; a branch records only the instant cards it "
        "prints itself.",
        "新卡由社保卡经办机构制卡后自行登记；网点只登记本网点即时制出的卡。",
    ),
    "domain.refusal.death_evidence_required": (
        "A cancellation on the holder's death needs the police record or death certificate number.",
        "因持卡人身故注销，须录入公安销户证明或死亡证明编号。",
    ),
    "domain.refusal.card_face_evidence_required": (
        "A change of card-face data needs the number of the police record it rests on.",
        "变更卡面信息须录入公安部门的证明编号。",
    ),
    "domain.refusal.evidence_malformed": (
        "An evidence number is 4 to 32 letters, digits or dashes.",
        "证明编号应为 4 至 32 位字母、数字或连字符。",
    ),
    "domain.refusal.holder_birth_date_required": (
        "The holder's ID number carries no birth date: enter it from the document shown.",
        "持卡人证件号码不含出生日期：请按所出示证件录入出生日期。",
    ),
    "domain.refusal.representative_document_required": (
        "The guardian or agent must show their own identity document (kind, number and name).",
        "监护人或代办人须出示本人身份证件（证件类型、号码和姓名）。",
    ),
    "domain.refusal.representative_document_invalid": (
        "The guardian's or agent's identity document number is not valid.",
        "监护人或代办人的证件号码无效。",
    ),
    "domain.refusal.representative_is_holder": (
        "The guardian or agent cannot be the holder.",
        "监护人或代办人不能是持卡人本人。",
    ),
    "domain.refusal.approval_required": (
        "A teller's cancellation needs a supervisor's approval.",
        "柜员办理注销须经主管审批。",
    ),
    "domain.refusal.approver_is_requester": (
        "The approving supervisor must be another person.",
        "审批人不能是经办人本人。",
    ),
    "domain.refusal.approver_not_supervisor": (
        "The approver is not a supervisor of this branch.",
        "审批人不是本网点的主管。",
    ),
    "domain.refusal.photo_required": (
        "An application needs a photo receipt number or the holder's ID card photo from the "
        "police.",
        "申领须提供相片回执号，或使用公安部门的身份证照片。",
    ),
    "domain.refusal.photo_receipt_malformed": (
        "A photo receipt number is 6 to 32 letters and digits.",
        "相片回执号应为 6 至 32 位字母或数字。",
    ),
    # fee reasons (FeeReason)
    "domain.fee.first_application": ("First application: free.", "首次申领：免费。"),
    "domain.fee.quality_problem_within_one_year": (
        "Exchange for a card quality problem within one year of collection: free.",
        "领卡一年内因卡片质量问题换领：免费。",
    ),
    "domain.fee.quality_problem_after_one_year": (
        "Exchange for a quality problem more than one year after collection: card fee.",
        "领卡超过一年因质量问题换领：收取工本费。",
    ),
    "domain.fee.collection_date_unknown": (
        "The collection date of the card is unknown, so the card fee applies.",
        "领卡日期不详，收取工本费。",
    ),
    "domain.fee.replacement": ("Replacement: card fee.", "补领：收取工本费。"),
    "domain.fee.exchange": ("Exchange: card fee.", "换领：收取工本费。"),
    "domain.fee.not_charged_service": ("No fee for this service.", "此项业务不收费。"),
    # names: identity kinds and sex
    "domain.identity_kind.resident": ("Resident ID card", "居民身份证"),
    "domain.identity_kind.hong_kong_permit": (
        "Residence permit for Hong Kong residents",
        "港澳居民居住证（香港）",
    ),
    "domain.identity_kind.macau_permit": (
        "Residence permit for Macau residents",
        "港澳居民居住证（澳门）",
    ),
    "domain.identity_kind.taiwan_permit": (
        "Residence permit for Taiwan residents",
        "台湾居民居住证",
    ),
    "domain.identity_kind.foreign_permanent": (
        "Foreigner's permanent residence ID card",
        "外国人永久居留身份证",
    ),
    "domain.identity_kind.foreign_permanent_2017": (
        "Foreigner's permanent residence ID card (2017)",
        "外国人永久居留身份证（2017 版）",
    ),
    "domain.identity_kind.passport": ("Passport", "护照"),
    "domain.sex.male": ("Male", "男"),
    "domain.sex.female": ("Female", "女"),
    # names: card states and function statuses
    "domain.card_state.no_card": ("No card", "无卡"),
    "domain.card_state.active": ("In use", "正常"),
    "domain.card_state.loss_reported": ("Reported lost", "已挂失"),
    "domain.card_state.cancelled": ("Cancelled", "已注销"),
    "domain.function.none": ("None", "无"),
    "domain.function.normal": ("Normal", "正常"),
    "domain.function.frozen": ("Frozen", "冻结"),
    "domain.function.closed": ("Closed", "已关闭"),
    "domain.function_name.social_security": ("Social security function", "社保功能"),
    "domain.function_name.financial": ("Financial account", "金融账户"),
    # names: applications
    "domain.application.first": ("First application", "首次申领"),
    "domain.application.replacement": ("Replacement", "补领"),
    "domain.application.exchange": ("Exchange", "换领"),
    "domain.speed.normal": ("Normal issuance", "普通制卡"),
    "domain.speed.instant": ("Instant issuance", "即时制卡"),
    "domain.application_status.in_production": ("In production", "制卡中"),
    "domain.application_status.ready": ("Ready to collect", "待领取"),
    "domain.exchange_reason.damage": ("Card damaged", "卡片损坏"),
    "domain.exchange_reason.expiry": ("Card expired", "卡片到期"),
    "domain.exchange_reason.card_face_change": ("Card face data changed", "卡面信息变更"),
    "domain.exchange_reason.reading_failure": ("Card cannot be read", "卡片无法读取"),
    "domain.exchange_reason.change_of_bank": ("Change of bank", "变更银行"),
    "domain.exchange_reason.quality_problem": ("Card quality problem", "卡片质量问题"),
    # names: loss report channels and cancellation reasons
    "domain.loss_channel.online": ("Online", "网上"),
    "domain.loss_channel.government_hotline": ("Government hotline 12345", "12345 政务服务热线"),
    "domain.loss_channel.bank_hotline": ("Bank hotline", "银行客服热线"),
    "domain.loss_channel.card_bank_branch": ("Branch of the card's bank", "发卡银行网点"),
    "domain.loss_channel.other_bank_branch": (
        "Branch of another cooperating bank",
        "其他合作银行网点",
    ),
    "domain.cancellation.death": ("Death", "死亡"),
    "domain.cancellation.loss_of_entitlement": (
        "No longer entitled in Guangzhou",
        "不再享受本市社会保障及公共服务",
    ),
    "domain.cancellation.moved_out_of_province": ("Moved out of the province", "迁出本省"),
    "domain.cancellation.emigration": ("Emigration", "出国（境）定居"),
    "domain.cancellation.disappearance": ("Declared missing", "宣告失踪"),
    # names: roles and places
    "domain.role.teller": ("Teller", "柜员"),
    "domain.role.home_visit": ("Home-visit staff", "上门服务人员"),
    "domain.role.supervisor": ("Supervisor", "主管"),
    "domain.place.branch": ("Branch", "网点"),
    "domain.place.instant_branch": ("Instant-issuance branch", "即时制卡网点"),
    "domain.place.home_visit": ("Home visit", "上门服务"),
    "domain.presenter.holder": ("Holder", "持卡人本人"),
    "domain.presenter.guardian": ("Legal guardian", "法定监护人"),
    "domain.presenter.agent": ("Agent", "代理人"),
    # due dates
    "domain.due_date.provisional": (
        "Due date based on an unpublished holiday schedule; it may change.",
        "到期日依据尚未公布的节假日安排推算，可能变动。",
    ),
    "domain.due_date.working_days": (
        "Due in {days} working days: {date}",
        "{days} 个工作日内办结：{date}",
    ),
}
