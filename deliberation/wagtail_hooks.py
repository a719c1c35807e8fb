"""The "议事" menu: matters by status, a matter's page, suggestions, the township dashboard."""

from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.components import Component
from wagtail.admin.views import generic
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.permissions import register_permission_policy

from village import permissions
from village.admin_scoped import (
    ScopedIndexView,
    ScopedInspectView,
    ScopedObjectMixin,
    ScopedViewSet,
    VillagePermissionPolicy,
)
from village.money import XLSX_FORMAT, YuanField, yuan, yuan_decimal, yuan_figure

from . import admin_actions, admin_views, inspection_views, selectors, services
from .models import BallotMode, DecidingBody, Matter
from .permissions import DeliberationAction

register_permission_policy(
    Matter,
    VillagePermissionPolicy(
        Matter, DeliberationAction.MATTER_VIEW, DeliberationAction.MATTER_MANAGE
    ),
    exact_class=True,
)


class MatterCreateView(generic.CreateView):
    def get_form(self, *args, **kwargs):
        form = super().get_form(*args, **kwargs)
        # Typed in 元 (two decimals at most), stored in 分.
        form.fields["estimated_amount_fen"] = YuanField(label=_("预计金额（元）"), required=False)
        villages = permissions.visible_villages(self.request.user, DeliberationAction.MATTER_MANAGE)
        form.fields["village"].queryset = villages
        if villages.count() == 1:
            form.fields["village"].initial = villages.first()
        # Who decides, and whether openly or in secret, is the secretary's choice, never the
        # form's default: both start on "请选择" and are required.
        for name, choices in (("deciding_body", DecidingBody), ("ballot_mode", BallotMode)):
            field = form.fields[name]
            field.choices = [("", _("请选择")), *choices.choices]
            field.initial = None
            field.required = True
        return form

    def save_instance(self):
        data = dict(self.form.cleaned_data)
        return services.matter_create(actor=self.request.user, **data)

    def get_success_url(self):
        return reverse("deliberation_admin_matter", args=[self.object.pk])


class MatterOpenView(ScopedObjectMixin, generic.EditView):
    """A matter is not edited in a form: its page shows the step and the action it allows."""

    def get(self, request, *args, **kwargs):
        return redirect("deliberation_admin_matter", self.object.pk)

    post = get


def _yuan_or_blank(fen):
    return "" if fen is None else yuan_decimal(fen)


class MatterIndexView(ScopedIndexView):
    # The listing's spreadsheet shows amounts in 元: a number formatted 80,000.00 in Excel.
    custom_field_preprocess = {
        "estimated_amount_fen": {"xlsx": _yuan_or_blank, "csv": yuan_figure},
    }

    def generate_xlsx_row(self, worksheet, row_dict, date_format=None):
        cells = super().generate_xlsx_row(worksheet, row_dict, date_format)
        for field, cell in zip(row_dict, cells, strict=True):
            if field == "estimated_amount_fen":
                cell.number_format = XLSX_FORMAT
            yield cell


class MatterInspectView(ScopedInspectView):
    def get_field_label(self, field_name, field):
        if field_name == "estimated_amount_fen":
            return _("预计金额")
        return super().get_field_label(field_name, field)

    def get_estimated_amount_fen_display_value(self):
        return yuan(self.object.estimated_amount_fen)


class MatterViewSet(ScopedViewSet):
    model = Matter
    icon = "list-ul"
    menu_label = _("议题")
    add_view_class = MatterCreateView
    edit_view_class = MatterOpenView
    index_view_class = MatterIndexView
    inspect_view_class = MatterInspectView
    form_fields = [
        "village",
        "title",
        "body",
        "category",
        "origin",
        "estimated_amount_fen",
        "deciding_body",
        "ballot_mode",
    ]
    list_display = ["title", "status", "current_step", "category", "village", "created_at"]
    list_export = [
        "village",
        "title",
        "get_category_display",
        "get_status_display",
        "estimated_amount_fen",
        "get_deciding_body_display",
        "created_at",
    ]
    export_headings = {
        "get_category_display": _("类别"),
        "get_status_display": _("状态"),
        "estimated_amount_fen": _("预计金额（元）"),
        "get_deciding_body_display": _("决议机构"),
    }
    export_filename = "matters"
    list_filter = ["status", "category", "village"]
    search_fields = ["title", "body"]

    def get_queryset(self, request):
        return Matter.objects.select_related("village")


class DashboardMenuItem(MenuItem):
    def is_shown(self, request):
        return permissions.can(request.user, DeliberationAction.MATTER_VIEW)


class DeliberationGroup(ViewSetGroup):
    menu_label = _("议事")
    menu_icon = "tasks"
    menu_order = 140
    items = (MatterViewSet,)


@hooks.register("register_admin_viewset")
def register_deliberation_viewsets():
    return DeliberationGroup()


@hooks.register("register_admin_menu_item")
def register_dashboard_menu_item():
    return DashboardMenuItem(
        _("议事巡查"), reverse("deliberation_admin_dashboard"), icon_name="view", order=141
    )


@hooks.register("register_admin_menu_item")
def register_suggestion_menu_item():
    return DashboardMenuItem(
        _("村民说事"), reverse("deliberation_admin_suggestions"), icon_name="mail", order=142
    )


@hooks.register("register_admin_urls")
def register_deliberation_admin_urls():
    v = admin_views
    return [
        path("matters/dashboard/", inspection_views.dashboard, name="deliberation_admin_dashboard"),
        path(
            "matters/rules-impact/",
            inspection_views.rules_impact,
            name="deliberation_admin_rules_impact",
        ),
        path("matters/suggestions/", v.suggestions, name="deliberation_admin_suggestions"),
        path(
            "matters/suggestions/<int:suggestion_id>/",
            v.suggestion_act,
            name="deliberation_admin_suggestion_act",
        ),
        path("matters/<int:matter_id>/", v.matter_page, name="deliberation_admin_matter"),
        path("matters/<int:matter_id>/trail/", v.trail_page, name="deliberation_admin_trail"),
        *admin_actions.urls(),
        path(
            "matters/<int:matter_id>/print/resolution/",
            v.print_resolution,
            name="deliberation_admin_print_resolution",
        ),
        path(
            "matters/<int:matter_id>/print/meetings/<int:meeting_id>/",
            v.print_meeting,
            name="deliberation_admin_print_meeting",
        ),
        path(
            "matters/<int:matter_id>/print/audit/",
            v.print_trail,
            name="deliberation_admin_print_trail",
        ),
        path(
            "matters/<int:matter_id>/print/audit/<int:batch_id>/",
            v.print_trail_batch,
            name="deliberation_admin_print_trail_batch",
        ),
        path(
            "meetings/<int:meeting_id>/attendance/",
            v.meeting_attendance,
            name="deliberation_admin_attendance",
        ),
    ]


class InspectionPanel(Component):
    """On the admin's home: each visible village with its matters that break a rule, and the
    ways in — the inspector's dashboard, every trail, the audit chain."""

    name = "cunzhi_inspection"
    order = 50
    template_name = "deliberation/admin/home_panel.html"

    def __init__(self, request):
        self.request = request

    def get_context_data(self, parent_context=None):
        rows = selectors.township_dashboard(self.request.user, findings=False)
        return {
            "rows": rows,
            "flagged": sum(r["flagged"] for r in rows),
            # "All compliant" only where something was checked: drafts have not started.
            "checked": sum(r["checked"] for r in rows),
            "may_audit": permissions.can(self.request.user, permissions.Action.VIEW_AUDIT),
        }


@hooks.register("construct_homepage_panels")
def add_inspection_panel(request, panels):
    if permissions.can(request.user, DeliberationAction.MATTER_VIEW):
        panels.append(InspectionPanel(request))
