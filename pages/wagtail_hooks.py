from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.widgets import Button

from village import permissions

from . import views
from .models import NoticePage


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
        path("notices/<int:notice_id>/print/", views.notice_print, name="pages_notice_print"),
    ]


@hooks.register("register_admin_menu_item")
def register_unread_menu_item():
    return UnreadMenuItem(
        _("通知未读户"), reverse("pages_unread_overview"), icon_name="warning", order=145
    )


def _print_button(page, user, priority):
    """The "打印到公告栏" button of a notice, shown to those who may print in some village (the view
    checks the notice's own village); no query per row of a listing."""
    if not issubclass(page.specific_class or object, NoticePage):
        return None
    if not permissions.can(user, "notice.print"):
        return None
    return Button(
        _("打印到公告栏"),
        reverse("pages_notice_print", args=[page.pk]),
        icon_name="doc-full",
        priority=priority,
        attrs={"data-testid": "print-notice"},
    )


@hooks.register("register_page_listing_more_buttons")
def notice_print_listing_button(page, user, next_url=None):
    button = _print_button(page, user, priority=45)
    if button:
        yield button


@hooks.register("register_page_header_buttons")
def notice_print_header_button(page, user, view_name, next_url=None):
    button = _print_button(page, user, priority=62)
    if button:
        yield button
