from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from village import permissions

from . import views


class UnreadMenuItem(MenuItem):
    def is_shown(self, request):
        return permissions.can(request.user, permissions.Action.VIEW_ROSTER)


@hooks.register("register_admin_urls")
def register_pages_admin_urls():
    return [
        path("notices/unread/", views.unread_overview, name="pages_unread_overview"),
        path("notices/<int:notice_id>/unread/", views.unread_report, name="pages_unread"),
        path(
            "notices/<int:notice_id>/unread.xlsx", views.unread_export, name="pages_unread_export"
        ),
    ]


@hooks.register("register_admin_menu_item")
def register_unread_menu_item():
    return UnreadMenuItem(
        _("通知未读户"), reverse("pages_unread_overview"), icon_name="warning", order=145
    )
