"""Admin screens of the village core, built on the scoped admin library (`village.admin_scoped`):
every view asks `village.permissions`; objects of another village are 404 on every view
(index, edit, inspect, history, usage, delete), not only the index.
"""

from datetime import timedelta

from django.forms import CharField
from django.middleware.csrf import get_token
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.widgets.button import Button
from wagtail.permissions import register_permission_policy

from . import admin_views, permissions, services
from .admin_scoped import (
    ScopedInspectView,
    ScopedViewSet,
    VillagePermissionPolicy,
    service_update,
    service_views,
)
from .log_actions import ACTIONS
from .models import (
    Grid,
    Household,
    Membership,
    PartyMembership,
    RuleSet,
    Villager,
    mask_id_number,
)
from .permissions import Action

# ---------------------------------------------------------------------------
# The viewsets
# ---------------------------------------------------------------------------

GridCreate, GridEdit = service_views(
    services.grid_create, service_update(services.grid_update, "grid")
)


class GridViewSet(ScopedViewSet):
    model = Grid
    icon = "table"
    menu_label = _("网格")
    add_view_class = GridCreate
    edit_view_class = GridEdit
    form_fields = ["village", "level", "parent", "name"]
    list_display = ["name", "level", "parent", "village"]
    list_filter = ["village", "level"]
    search_fields = ["name"]

    def get_queryset(self, request):
        return Grid.objects.select_related("parent", "village")


HouseholdCreateBase, HouseholdEditBase = service_views(
    services.household_create, service_update(services.household_update, "household")
)


class HouseholdCreate(HouseholdCreateBase):
    def get_form(self, *args, **kwargs):
        form = super().get_form(*args, **kwargs)
        # A new household has no members yet: the head is chosen once members are added.
        form.fields.pop("head", None)
        form.fields.pop("merged_into", None)
        return form


class HouseholdEdit(HouseholdEditBase):
    @cached_property
    def header_more_buttons(self):
        buttons = super().header_more_buttons
        if permissions.can(self.request.user, Action.ISSUE_ACTIVATION, self.object.village):
            buttons.append(
                Button(
                    _("亲情账号"),
                    url=reverse("village_household_proxies", args=[self.object.pk]),
                    icon_name="user",
                    priority=20,
                )
            )
        return buttons

    def get_form(self, *args, **kwargs):
        form = super().get_form(*args, **kwargs)
        # The head is one of the household's members; a merge target is another household.
        if "head" in form.fields:
            form.fields["head"].queryset = self.object.members.all()
        if "merged_into" in form.fields:
            form.fields["merged_into"].queryset = (
                form.fields["merged_into"]
                .queryset.filter(village=self.object.village)
                .exclude(pk=self.object.pk)
            )
        return form


class HouseholdViewSet(ScopedViewSet):
    model = Household
    icon = "home"
    menu_label = _("户")
    add_view_class = HouseholdCreate
    edit_view_class = HouseholdEdit
    form_fields = ["village", "number", "area", "address", "head", "status", "merged_into"]
    list_display = ["number", "head", "area", "address", "status"]
    inspect_view_fields = ["village", "number", "area", "address", "head", "status", "merged_into"]
    list_filter = ["village", "status", "area"]
    search_fields = ["number", "address", "head__name", "members__name"]
    list_per_page = 50

    def get_queryset(self, request):
        return Household.objects.select_related("head", "area__parent", "village").distinct()


VillagerCreateBase, VillagerEditBase = service_views(
    services.villager_create, service_update(services.villager_update, "villager")
)


class MaskedIdFormMixin:
    """The ID number field is for the village's staff only; everyone else's form lacks it."""

    def get_form(self, *args, **kwargs):
        form = super().get_form(*args, **kwargs)
        village = getattr(getattr(self, "object", None), "village", None)
        may_see = (
            permissions.may_see_id_numbers(self.request.user, village)
            if village
            else permissions.can(self.request.user, Action.VIEW_ID_NUMBER)
        )
        if not may_see:
            form.fields.pop("id_number", None)
        return form


class MaskedIdNumberField(CharField):
    """The edit form's ID number: shown masked, like on every other screen. Sent back as shown
    (or empty) it keeps the stored number; a whole new number replaces it and is validated as
    on the create form. The whole number is only ever seen through the logged reveal."""

    def __init__(self, *, stored: str, **kwargs):
        self.stored = stored
        self.masked = mask_id_number(stored)
        super().__init__(**kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if value.upper() in ("", self.masked.upper()):
            return self.stored
        return value.upper()

    def has_changed(self, initial, data):
        return self.to_python(data) != self.stored


class VillagerCreate(MaskedIdFormMixin, VillagerCreateBase):
    def get_form(self, *args, **kwargs):
        form = super().get_form(*args, **kwargs)
        # 群众 preselected would write itself for an unpicked party member, who would then be
        # missing from the 党员大会 roll: the secretary chooses, every time.
        field = form.fields.get("party_membership")
        if field is not None:
            field.choices = [("", _("请选择")), *PartyMembership.choices]
            field.initial = None
            field.required = True
            field.error_messages["required"] = _("请选择政治面貌。")
            form.initial.pop("party_membership", None)
        return form


class VillagerEdit(MaskedIdFormMixin, VillagerEditBase):
    def get_form(self, *args, **kwargs):
        form = super().get_form(*args, **kwargs)
        old = form.fields.get("id_number")
        if old is not None:
            field = MaskedIdNumberField(
                stored=self.object.id_number,
                label=old.label,
                max_length=old.max_length,
                required=False,
                widget=old.widget,
                help_text=_(
                    "如需更正，请填写完整的新号码；不改则保持原号码"
                    "（查看完整号码请用“显示完整身份证号”，会记入审计链）"
                ),
            )
            form.fields["id_number"] = field
            form.initial["id_number"] = field.masked
        return form


class VillagerInspect(ScopedInspectView):
    @cached_property
    def header_more_buttons(self):
        buttons = list(super().header_more_buttons)
        if permissions.can(self.request.user, Action.ISSUE_ACTIVATION, self.object):
            url = reverse("village_activation_issue", args=[self.object.pk])
            buttons.append(Button(_("签发激活码"), url=url, icon_name="key", priority=30))
        return buttons

    def get_field_display_value(self, field_name, field):
        if field_name == "id_number":
            # Masked for everyone; the staff may reveal it, and each reveal is on the chain.
            masked = self.object.masked_id_number
            if not permissions.may_see_id_numbers(self.request.user, self.object.village):
                return masked
            return format_html(
                '{} <form method="post" action="{}">'
                '<input type="hidden" name="csrfmiddlewaretoken" value="{}">'
                '<button type="submit" class="button button-small button-secondary">{}</button>'
                "</form>",
                masked,
                reverse("village_id_number_reveal", args=[self.object.pk]),
                get_token(self.request),
                _("显示完整身份证号"),
            )
        return super().get_field_display_value(field_name, field)


class VillagerViewSet(ScopedViewSet):
    model = Villager
    icon = "user"
    menu_label = _("村民")
    add_view_class = VillagerCreate
    edit_view_class = VillagerEdit
    inspect_view_class = VillagerInspect
    form_fields = ["village", *services.VILLAGER_FIELDS]
    # The village column: an inspector's list holds every village of the township.
    list_display = [
        "name",
        "village",
        "household",
        "gender",
        "birth_date",
        "party_membership",
        "status",
    ]
    list_filter = ["village", "status", "party_membership", "is_representative", "gender"]
    search_fields = ["name", "phone", "household__number"]
    inspect_view_fields = [
        "name",
        "village",
        "household",
        "id_number",
        "birth_date",
        "gender",
        "phone",
        "relation_to_head",
        "status",
        "party_membership",
        "is_representative",
        "representative_from",
        "representative_to",
    ]
    list_per_page = 50

    def get_queryset(self, request):
        return Villager.objects.select_related("household", "village")


MembershipCreate, MembershipEdit = service_views(
    services.membership_create, service_update(services.membership_update, "membership")
)


class MembershipViewSet(ScopedViewSet):
    model = Membership
    icon = "user"
    menu_label = _("任职")
    add_view_class = MembershipCreate
    edit_view_class = MembershipEdit
    form_fields = ["village", "villager", "role", "grid", "start", "end", "note"]
    list_display = ["villager", "role", "grid", "start", "end"]
    list_filter = ["village", "role"]
    search_fields = ["villager__name", "note"]

    def get_queryset(self, request):
        return Membership.objects.select_related("villager", "grid__parent", "village")


RuleSetCreate, _RuleSetEdit = service_views(
    services.ruleset_create, service_update(services.ruleset_update, "ruleset")
)


class RuleSetEdit(_RuleSetEdit):
    """Editing a version proposes the next one: in force from today unless a later day is
    chosen, with its own reason."""

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["initial"] = {
            **kwargs.get("initial", {}),
            # From tomorrow by default: the day before it takes effect, the township sees which
            # pending matters it would have judged otherwise (议事规则变更预览).
            "effective_from": timezone.localdate() + timedelta(days=1),
            "reason": "",
        }
        return kwargs


class RuleSetPolicy(VillagePermissionPolicy):
    def mapped_action(self, action):
        if action == "add":
            return None  # a rule set comes with its village
        return super().mapped_action(action)


class RuleSetViewSet(ScopedViewSet):
    model = RuleSet
    icon = "cogs"
    menu_label = _("议事规则")
    edit_view_class = RuleSetEdit
    add_view_class = RuleSetCreate
    # "Edit" makes a new version from the one shown (ruleset_update): its effective date and
    # reason first, then every value; the bookkeeping is the service's.
    form_fields = [
        "effective_from",
        "reason",
        *(
            f.name
            for f in RuleSet._meta.fields
            if f.name
            not in (
                "id",
                "village",
                "version",
                "effective_from",
                "reason",
                "created_at",
                "created_by",
            )
        ),
    ]
    list_display = ["village", "version", "effective_from", "reason"]
    search_fields = ["village__name"]

    def get_queryset(self, request):
        return RuleSet.objects.select_related("village")


for _model, _policy in [
    (Grid, VillagePermissionPolicy(Grid, Action.VIEW_ROSTER, Action.CHANGE_ROSTER)),
    (Household, VillagePermissionPolicy(Household, Action.VIEW_ROSTER, Action.CHANGE_ROSTER)),
    (Villager, VillagePermissionPolicy(Villager, Action.VIEW_ROSTER, Action.CHANGE_ROSTER)),
    (
        Membership,
        VillagePermissionPolicy(Membership, Action.VIEW_ROSTER, Action.CHANGE_MEMBERSHIP),
    ),
    (RuleSet, RuleSetPolicy(RuleSet, Action.VIEW_VILLAGE, Action.CHANGE_RULES)),
]:
    register_permission_policy(_model, _policy, exact_class=True)


class VillageGroup(ViewSetGroup):
    menu_label = _("村务管理")
    menu_icon = "site"
    menu_order = 150
    items = (GridViewSet, HouseholdViewSet, VillagerViewSet, MembershipViewSet, RuleSetViewSet)


@hooks.register("register_admin_viewset")
def register_village_viewsets():
    return VillageGroup()


@hooks.register("register_admin_urls")
def register_village_admin_urls():
    return [
        path("roster/", admin_views.roster, name="village_roster"),
        path("roster/template.xlsx", admin_views.roster_template, name="village_roster_template"),
        path(
            "roster/<int:village_id>/export.xlsx",
            admin_views.roster_export,
            name="village_roster_export",
        ),
        path(
            "villagers/<int:villager_id>/activation/",
            admin_views.activation_issue,
            name="village_activation_issue",
        ),
        path(
            "villagers/<int:villager_id>/id-number/",
            admin_views.id_number_reveal,
            name="village_id_number_reveal",
        ),
        path(
            "households/<int:household_id>/proxies/",
            admin_views.household_proxies,
            name="village_household_proxies",
        ),
        path("audit/", admin_views.audit_overview, name="village_audit"),
        path("outbox/", admin_views.outbox, name="village_outbox"),
        path(
            "outbox/<int:notification_id>/",
            admin_views.outbox_problems,
            name="village_outbox_problems",
        ),
    ]


class RosterMenuItem(MenuItem):
    def is_shown(self, request):
        return permissions.can(request.user, Action.EXPORT_ROSTER)


class OutboxMenuItem(MenuItem):
    def is_shown(self, request):
        return permissions.can(request.user, Action.VIEW_ROSTER)


class AuditMenuItem(MenuItem):
    def is_shown(self, request):
        return permissions.can(request.user, Action.VIEW_AUDIT)


@hooks.register("register_admin_menu_item")
def register_roster_menu_item():
    return RosterMenuItem(
        _("花名册导入导出"), reverse("village_roster"), icon_name="download", order=160
    )


@hooks.register("register_admin_menu_item")
def register_outbox_menu_item():
    return OutboxMenuItem(_("消息发送"), reverse("village_outbox"), icon_name="mail", order=146)


@hooks.register("register_admin_menu_item")
def register_audit_menu_item():
    return AuditMenuItem(_("审计链"), reverse("village_audit"), icon_name="history", order=170)


@hooks.register("register_log_actions")
def register_village_log_actions(actions):
    for action, label in ACTIONS.items():
        actions.register_action(action, label, label)


@hooks.register("construct_main_menu")
def hide_wagtail_help_menu(request, menu_items):
    # Wagtail's help menu links to its guide on an outside host, unreachable from many villages.
    menu_items[:] = [item for item in menu_items if item.name != "help"]
