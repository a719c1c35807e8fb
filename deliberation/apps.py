from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeliberationConfig(AppConfig):
    name = "deliberation"
    verbose_name = _("四议两公开")

    def ready(self):
        from village import extensions, log_actions, publications

        from . import selectors
        from .permissions import register_actions

        register_actions()
        for action, label in {
            "deliberation.matter.create": _("新建议题"),
            "deliberation.matter.revise": _("修改议题形成新版本"),
            "deliberation.matter.withdraw": _("撤回议题"),
            "deliberation.matter.return": _("议题退回"),
            "deliberation.meeting.record": _("记录会议"),
            "deliberation.vote.open": _("冻结文本并开始表决"),
            "deliberation.vote.cast": _("网上投票"),
            "deliberation.vote.hall": _("登记会场投票"),
            "deliberation.vote.close": _("计票"),
            "deliberation.publication.resolution": _("决议公开"),
            "deliberation.publication.result": _("实施结果公开"),
            "deliberation.publication.close": _("公开期结束"),
            "deliberation.objection.file": _("提出异议"),
            "deliberation.objection.answer": _("答复异议"),
            "deliberation.implementation.add": _("登记实施进展"),
            "deliberation.suggestion.submit": _("村民说事"),
            "deliberation.suggestion.answer": _("答复村民说事"),
            "deliberation.suggestion.adopt": _("村民说事转为议题"),
        }.items():
            log_actions.register(action, label, mirror=action != "deliberation.vote.cast")
        publications.register("resolution", _("决议公开"), selectors.published_resolutions)
        publications.register("result", _("实施结果公开"), selectors.published_results)

        extensions.register_urls("matters/", "deliberation.urls", "deliberation")
        extensions.register_nav(_("村里的事"), "deliberation:list")
        extensions.register_resolutions(selectors.standing_resolutions)
        from . import services
        from .demo.meetings import demo_resolution

        extensions.register_matter_opener(services.matter_open_for)
        extensions.register_demo_resolver(demo_resolution)
        from .recount import recount_problems

        extensions.register_recount(recount_problems)
        from .demo import build_demo

        extensions.register_demo(build_demo)

        from village.api import api

        from .api import router

        api.add_router("/", router)
