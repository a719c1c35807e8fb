from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PagesConfig(AppConfig):
    name = "pages"
    verbose_name = _("村务网站")

    def ready(self):
        from village import extensions, log_actions

        from . import fragments, services
        from .demo import build_demo
        from .permissions import register_actions

        fragments.connect()
        # A notice published (in the admin, by a moderator's approval, on schedule) is told to
        # its audience in the same transaction.
        from wagtail.signals import page_published

        from .models import NoticePage

        page_published.connect(
            services.notice_published, sender=NoticePage, dispatch_uid="notice-announce"
        )

        extensions.register_role_listener(services.sync_user_groups)
        extensions.register_home(_home_for)
        extensions.register_site_lister(_sites)
        extensions.register_urls("site/", "pages.urls", "pages")
        # 我的待办 gathers notices, votes and points for one villager: pages reads all three.
        extensions.register_urls("me/todo/", "pages.todo_urls", "todo")
        extensions.register_nav(_("我的待办"), "todo:home")
        extensions.register_demo(build_demo)
        log_actions.register("pages.notice.read", _("确认已读"))
        log_actions.register("pages.notice.told", _("登记已告知（当面、电话、大喇叭、微信群）"))
        log_actions.register("pages.notice.answer", _("回答户情问题"))
        log_actions.register("pages.site.setup", _("开通村网站"))
        register_actions()

        from village.api import api

        from .api import router

        api.add_router("/", router)


def _home_for(user):
    from village.permissions import villager_of

    from .selectors import home_of

    villager = villager_of(user)
    if villager is None:
        return None
    home = home_of(villager.village)
    return home.url if home and home.live else None


def _sites():
    from .models import VillageHomePage

    return [
        (f"{p.village.township.name} · {p.title}", p.url)
        for p in VillageHomePage.objects.live().select_related("village__township")
    ]
