from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PointsConfig(AppConfig):
    name = "points"
    verbose_name = _("积分制管理")

    def ready(self):
        from village import extensions, log_actions, publications

        from . import selectors
        from .permissions import PointsAction, register_actions

        register_actions()
        from .audit import welfare_flags

        extensions.register_inspection(_("积分与福利"), welfare_flags)
        # Only the summaries go to Wagtail's log; every entry is in the audit chain.
        for action, label in {
            "points.publication.create": _("发布积分公示"),
            "points.publication.close": _("积分公示期满入账"),
            "points.objection.file": _("对积分提出异议"),
            "points.objection.answer": _("答复积分异议"),
            "points.entry.reverse": _("积分冲正"),
            "points.redeem": _("积分超市兑换"),
            "points.stars.rate": _("评定星级文明户"),
            "points.stars.publish": _("按决议公布星级文明户"),
            "points.stars.revoke": _("撤销星级"),
            "points.allocation.create": _("按积分分配福利"),
            "points.allocation.publish": _("按决议公布福利分配"),
            "points.allocation.propose": _("福利分配提请决议"),
            "points.allocation.object": _("对福利分配名单提出异议"),
            "points.allocation.answer": _("答复福利分配异议"),
            "points.stars.propose": _("星级评定提请决议"),
            PointsAction.IMPORT: _("导入积分登记表"),  # the event is named as the action
            "points.store.item": _("修改积分超市物品"),
            PointsAction.CATALOGUE_DRAFT: _("起草积分细则新版本"),  # named as the action
            "points.catalogue.rule": _("修改积分细则草案"),
            "points.catalogue.adopt": _("积分细则新版本通过生效"),
            "points.year.open": _("开启年度积分"),
        }.items():
            log_actions.register(action, label)
        # Named for the audit page, one row per entry, so not mirrored into Wagtail's log.
        for action, label in {
            "points.entry.record": _("登记积分"),
            "points.entry.claim": _("村民申报积分"),
            "points.entry.propose": _("按活动建议积分"),
            "points.entry.review": _("审核通过积分"),
            "points.entry.reject": _("退回积分登记"),
            "points.entry.void": _("异议成立，积分作废"),
            "points.entry.post": _("积分入账"),
            "points.catalogue.create": _("建立积分细则"),
        }.items():
            log_actions.register(action, label, mirror=False)
        publications.register("points", _("积分公示"), selectors.published_lists)
        publications.register("welfare", _("星级文明户与福利分配"), selectors.published_welfare)

        extensions.register_urls("points/", "points.urls", "points")
        extensions.register_nav(_("积分"), "points:home")
        from .demo import build_demo

        extensions.register_demo(build_demo)

        from village.api import api

        from .api import router

        api.add_router("/points", router)
