from datetime import timedelta

from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.components import Component
from wagtail.admin.widgets import Button

from deliberation import worklist as matters_work
from points import worklist as points_work
from points.permissions import PointsAction
from village import permissions

from . import views, worklist
from .models import NoticeIndexPage, NoticePage
from .permissions import PagesAction


class UnreadMenuItem(MenuItem):
    def is_shown(self, request):
        return permissions.can(request.user, permissions.Action.VIEW_ROSTER)


@hooks.register("register_admin_urls")
def register_pages_admin_urls():
    return [
        path("notices/unread/", views.unread_overview, name="pages_unread_overview"),
        path("notices/<int:notice_id>/unread/", views.unread_report, name="pages_unread"),
        path("notices/<int:notice_id>/answers/", views.notice_answers, name="pages_notice_answers"),
        path(
            "notices/<int:notice_id>/answers.xlsx",
            views.notice_answers_export,
            name="pages_notice_answers_export",
        ),
        path(
            "notices/<int:notice_id>/unread.xlsx", views.unread_export, name="pages_unread_export"
        ),
        path("notices/<int:notice_id>/print/", views.notice_print, name="pages_notice_print"),
        path(
            "notices/<int:notice_id>/broadcast/",
            views.notice_broadcast,
            name="pages_notice_broadcast",
        ),
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
    if not permissions.can(user, PagesAction.NOTICE_PRINT):
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


# --- the admin home: each role's own work ----------------------------------------------------


class WorkPanel(Component):
    """The secretary's and committee's today: entries to review, objections to answer, matters
    waiting for their next step, publications closing this week, notices' reach, 发通知."""

    name = "cunzhi_work"
    order = 20
    template_name = "pages/admin/home_work.html"

    def __init__(self, request, village_ids):
        self.request, self.village_ids = request, village_ids

    def get_context_data(self, parent_context=None):
        ids = self.village_ids
        user = self.request.user
        week = timezone.now() + timedelta(days=7)
        review_ids = list(
            permissions.visible_villages(user, PointsAction.REVIEW).values_list("pk", flat=True)
        )
        matter_objections, matter_total = matters_work.objections_to_answer(ids)
        points_objections, points_total = points_work.objections_to_answer(review_ids)
        matters, matters_total = matters_work.matters_waiting(ids)
        return {
            "notice_targets": worklist.notice_targets(user),
            "may_review": bool(review_ids),
            "entries_to_review": points_work.entries_to_review(review_ids),
            "matter_objections": matter_objections,
            "points_objections": points_objections,
            "objections_total": matter_total + points_total,
            "matters": matters,
            "matters_total": matters_total,
            "matter_publications": matters_work.publications_closing(ids, week),
            "points_publications": points_work.publications_closing(review_ids, week),
            "reach": worklist.notices_reach(ids),
        }


class VisitsPanel(Component):
    """The grid officer's round: households of the grid with a notice nobody there has
    confirmed, or points waiting for review."""

    name = "cunzhi_visits"
    order = 20
    template_name = "pages/admin/home_visits.html"

    def __init__(self, request):
        self.request = request

    def get_context_data(self, parent_context=None):
        found = worklist.visits(self.request.user)
        return {"visits": found[: worklist.SHOWN], "total": len(found)}


class SupervisionPanel(Component):
    """The supervision committee's watch: objections not yet answered, publications open."""

    name = "cunzhi_supervision"
    order = 30
    template_name = "pages/admin/home_supervision.html"

    def __init__(self, request, village_ids):
        self.request, self.village_ids = request, village_ids

    def get_context_data(self, parent_context=None):
        ids = self.village_ids
        matter_objections, matter_total = matters_work.objections_to_answer(ids)
        points_objections, points_total = points_work.objections_to_answer(ids)
        return {
            "matter_objections": matter_objections,
            "points_objections": points_objections,
            "objections_total": matter_total + points_total,
            "matter_publications": matters_work.publications_open(ids),
            "points_publications": points_work.publications_open(ids),
        }


def _villages_with_role(request, roles: set[str]) -> list[int]:
    village_roles = permissions.roles_of(request.user).village_roles
    return sorted(v for v, names in village_roles.items() if names & roles)


@hooks.register("construct_homepage_panels")
def add_role_panels(request, panels):
    cadre_villages = _villages_with_role(
        request, {"secretary", "branch_committee", "village_committee"}
    )
    if cadre_villages:
        panels.append(WorkPanel(request, cadre_villages))
    if _villages_with_role(request, {"grid_officer"}):
        panels.append(VisitsPanel(request))
    supervised = _villages_with_role(request, {"supervision"})
    if supervised:
        panels.append(SupervisionPanel(request, supervised))


@hooks.register("construct_homepage_summary_items", order=100)
def drop_page_counts(request, summary_items):
    """Counts of pages, images and documents tell a cadre nothing about today's work."""
    if not request.user.is_superuser:
        summary_items.clear()


def _send_notice_button(page, user, priority):
    if not issubclass(page.specific_class or object, NoticeIndexPage):
        return None
    if not page.permissions_for_user(user).can_add_subpage():
        return None
    return Button(
        _("发通知"),
        reverse("wagtailadmin_pages:add", args=["pages", "noticepage", page.pk]),
        icon_name="plus",
        priority=priority,
        attrs={"data-testid": "send-notice"},
    )


@hooks.register("register_page_header_buttons")
def notice_index_send_button(page, user, view_name, next_url=None):
    button = _send_notice_button(page, user, priority=5)
    if button:
        yield button
