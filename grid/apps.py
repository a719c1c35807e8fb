from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GridConfig(AppConfig):
    """事在网中办: grid events (随手拍) with dispatch and escalation, volunteer activities and
    hours, and the offline capture of grid officers. Sits above the village core beside the
    other apps; proposes points entries through points' services and links 说事 of deliberation
    (`grid → deliberation, points → village`)."""

    name = "grid"
    verbose_name = _("网格工作")

    def ready(self):
        from village import extensions, log_actions
        from village.api import api

        from .api import router
        from .permissions import register_actions

        register_actions()
        for action, label in {
            "grid.event.report": _("随手拍上报"),
            "grid.event.accept": _("网格员受理事件"),
            "grid.event.handle": _("网格员办结事件"),
            "grid.event.confirm": _("村民评价事件办理"),
            "grid.event.reopen": _("村民要求重新办理"),
            "grid.event.escalate": _("事件逾期上报"),
            "grid.event.reassign": _("事件改派"),
            "grid.event.link": _("事件关联村民说事"),
            "grid.event.reward": _("事件办理建议积分"),
            "grid.offline.sync": _("离线记录同步"),
            "grid.volunteer.create": _("发布志愿服务活动"),
            "grid.volunteer.signup": _("报名志愿服务"),
            "grid.volunteer.withdraw": _("取消志愿服务报名"),
            "grid.volunteer.checkin": _("志愿服务签到"),
            "grid.volunteer.close": _("登记志愿服务时长并建议积分"),
        }.items():
            log_actions.register(action, label, mirror=False)
        extensions.register_urls("grid/", "grid.urls", "gridwork")
        extensions.register_nav(_("随手拍"), "gridwork:events")
        from .demo import build_demo

        extensions.register_demo(build_demo)
        api.add_router("/", router)
        from .api_offline import router as offline_router

        api.add_router("/", offline_router)  # 离线记录同步
        from .api_volunteering import router as volunteering_router
        from .demo_volunteering import build_demo as build_volunteering_demo
        from .volunteer_views import me_section

        extensions.register_nav(_("志愿服务"), "gridwork:volunteer:list")
        extensions.register_me_section(me_section)
        extensions.register_demo(build_volunteering_demo)
        api.add_router("/", volunteering_router)
