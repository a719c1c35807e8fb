"""Domain actions mirrored into Wagtail's log. Apps add their own with `register`."""

from django.utils.translation import gettext_lazy as _

ACTIONS: dict[str, object] = {
    "village.household.create": _("新建户"),
    "village.household.update": _("修改户"),
    "village.villager.create": _("新增村民"),
    "village.villager.update": _("修改村民"),
    "village.villager.import": _("导入村民花名册"),
    "village.villager.reveal_id_number": _("查看完整身份证号"),
    "village.roster.export": _("导出花名册（含完整身份证号）"),
    "village.grid.create": _("新建网格"),
    "village.grid.update": _("修改网格"),
    "village.membership.create": _("任命职务"),
    "village.membership.update": _("修改任职"),
    "village.membership.end": _("结束任职"),
    "village.township_membership.create": _("任命乡镇职务"),
    "village.activation.issue": _("签发激活码"),
    "village.activation.use": _("使用激活码开通账号"),
    "village.rules.update": _("议事规则新版本"),
    "village.supervision.countersign": _("监委会会签"),
    "village.supervision.dispute": _("监委会提出异议"),
    "village.supervision.opinion": _("监委会监督意见"),
    "village.village.create": _("新建村"),
    "village.township.create": _("新建乡镇"),
    "village.account.create": _("开通账号"),
    "village.document.issue": _("签发文书"),
    "village.notification.send": _("发出消息（站内、推送、短信）"),
    "village.reach.preference": _("修改消息接收方式"),
    "village.proxy.bind": _("绑定亲情账号"),
    "village.proxy.activate": _("亲情账号激活"),
    "village.proxy.end": _("结束亲情账号"),
    "audit.anchor": _("村审计链头写入乡镇审计链（锚定）"),
    "village.party.card": _("修改亮身份名片"),
    "village.party.commitment.add": _("填写党员承诺"),
    "village.party.commitment.update": _("修改党员承诺"),
    "village.party.commitment.withdraw": _("撤回党员承诺"),
    "village.party.commitment.fulfilment": _("支部评议承诺兑现"),
    "village.party.link.create": _("安排包联"),
    "village.party.link.end": _("结束包联"),
    "village.party.visit": _("记录走访"),
}


# Named like the others but not copied into Wagtail's log: one row per villager's vote is noise
# in the admin's history reports and costs every vote a write; the audit chain has each one.
NOT_MIRRORED: set[str] = set()


def register(action: str, label, *, mirror: bool = True) -> None:
    ACTIONS[action] = label
    if not mirror:
        NOT_MIRRORED.add(action)


def is_registered(action: str) -> bool:
    return action in ACTIONS


def is_mirrored(action: str) -> bool:
    return action in ACTIONS and action not in NOT_MIRRORED
