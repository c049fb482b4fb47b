"""The data change (信息变更), every word of it in one place: the screen, the receipt, the menu,
and the domain's refusals that only this service gives. A new counter service keeps its texts in a
catalog of its own like this one, keyed in the areas that read them (the catalogs are merged
by key; see `branch_app.i18n`)."""

#: The areas whose keys this service adds to (the screen's, the domain's refusals, the receipt's).
AREAS = ("counter", "domain", "receipt")

MESSAGES: dict[str, tuple[str, str]] = {
    "counter.title.data_change": ("Change of contact details", "信息变更"),
    "counter.intro.data_change": (
        "The holder (or the guardian) changes the mobile number or the address; no new card. "
        "A change of name, ID number or birth date needs the police record: use Exchange.",
        "持卡人（或监护人）变更手机号码或联系地址，无需换卡。"
        "姓名、证件号码或出生日期变更须凭公安部门证明办理换领。",
    ),
    "counter.choice.new_mobile": (
        "New mobile number (leave empty to keep it)",
        "新手机号码（不变更请留空）",
    ),
    "counter.choice.new_address": (
        "New address (leave empty to keep it)",
        "新联系地址（不变更请留空）",
    ),
    "counter.confirm.new_mobile": ("New mobile number", "新手机号码"),
    "counter.confirm.new_address": ("New address", "新联系地址"),
    "counter.action.change_contact": ("Change of contact details", "变更联系信息"),
    "counter.kind_name.change_contact": ("change of contact details", "信息变更"),
    "domain.refusal.no_record": (
        "The card agency has no record of this person yet: apply for a card first.",
        "卡管机构尚无该人员的记录：请先申领社保卡。",
    ),
    "domain.refusal.contact_required": (
        "Enter the new mobile number or the new address.",
        "请录入新的手机号码或新的联系地址。",
    ),
    "domain.refusal.mobile_malformed": (
        "A mobile number is 11 digits starting with 1.",
        "手机号码应为以 1 开头的 11 位数字。",
    ),
    "receipt.service.change_contact": ("Change of contact details", "信息变更"),
    "receipt.next.change_contact": (
        "The new contact details take effect once the card service has applied them.",
        "新的联系方式经社保卡系统确认后生效。",
    ),
}
