"""Admin screens of the village core. Every view asks `village.permissions`; objects of another
village are 404 on every view (index, edit, inspect, history, usage, delete), not only the index.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import CharField, ModelChoiceField
from django.http import Http404
from django.middleware.csrf import get_token
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.views import generic
from wagtail.admin.views.generic import history, usage
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets.button import Button
from wagtail.permission_policies.base import BasePermissionPolicy
from wagtail.permissions import register_permission_policy

from . import admin_views, permissions, services
from .log_actions import ACTIONS
from .models import (
    Grid,
    Household,
    Membership,
    PartyMembership,
    RuleSet,
    Village,
    Villager,
    mask_id_number,
)
from .naming import sort_grid_choices
from .permissions import Action

# ---------------------------------------------------------------------------
# Permission policy: Wagtail's questions answered by the one permission module
# ---------------------------------------------------------------------------


class VillagePermissionPolicy(BasePermissionPolicy):
    def __init__(self, model, view_action: Action, change_action: Action, village_field="village"):
        super().__init__(model)
        self.view_action = view_action
        self.change_action = change_action
        self.village_field = village_field

    def _action(self, action: str) -> Action | None:
        if action in ("add", "change"):
            return self.change_action
        if action == "view":
            return self.view_action
        return None  # delete, publish, lock…: nothing here is ever deleted

    def user_has_permission(self, user, action):
        mapped = self._action(action)
        return mapped is not None and permissions.can(user, mapped)

    def user_has_permission_for_instance(self, user, action, instance):
        mapped = self._action(action)
        return mapped is not None and permissions.can(user, mapped, instance)

    def instances_user_has_permission_for(self, user, action):
        mapped = self._action(action)
        if mapped is None:
            return self.model.objects.none()
        return permissions.scope(user, mapped, self.model.objects.all(), self.village_field)

    def users_with_permission(self, action):
        from django.contrib.auth import get_user_model

        return get_user_model().objects.none()


# ---------------------------------------------------------------------------
# View mixins
# ---------------------------------------------------------------------------


class ScopedObjectMixin:
    """Refuse objects of villages the user may not see, on views that load by primary key."""

    object_action = "view"

    def get_object(self, *args, **kwargs):
        obj = super().get_object(*args, **kwargs)
        policy = self.permission_policy
        if not policy.user_has_permission_for_instance(self.request.user, "view", obj):
            raise Http404
        if not policy.user_has_permission_for_instance(self.request.user, self.object_action, obj):
            raise PermissionDenied
        return obj


class ScopedFormMixin:
    """Limit every choice in the form to villages where the user may write."""

    def get_form(self, *args, **kwargs):
        form = super().get_form(*args, **kwargs)
        user = self.request.user
        action = self.permission_policy.change_action
        for field in form.fields.values():
            if not isinstance(field, ModelChoiceField):
                continue
            model = field.queryset.model
            if model is Village:
                field.queryset = permissions.visible_villages(user, action)
                if field.queryset.count() == 1:
                    field.initial = field.queryset.first()
            elif any(f.name == "village" for f in model._meta.fields):
                field.queryset = permissions.scope(user, action, field.queryset)
            if model is Grid:
                field.queryset = field.queryset.select_related("parent")
                sort_grid_choices(field)
        return form

    def changes(self) -> dict:
        return {name: self.form.cleaned_data[name] for name in self.form.changed_data}


class ScopedIndexView(generic.IndexView):
    def get_base_queryset(self):
        # Narrow the viewset's own queryset (keeping its select_related) to the villages the
        # user may view; rebuilding it from the policy lost the joins, one query per row.
        qs = super().get_base_queryset()
        policy = self.permission_policy
        return permissions.scope(self.request.user, policy.view_action, qs, policy.village_field)

    @cached_property
    def filters(self):
        """Filter choices (village, area…) list only rows of villages the user may see."""
        filterset = super().filters
        if filterset is not None:
            user = self.request.user
            action = self.permission_policy.view_action
            for field in filterset.form.fields.values():
                if not isinstance(field, ModelChoiceField):
                    continue
                model = field.queryset.model
                if model is Village:
                    field.queryset = permissions.visible_villages(user, action)
                elif any(f.name == "village" for f in model._meta.fields):
                    field.queryset = permissions.scope(user, action, field.queryset)
                if model is Grid:
                    field.queryset = field.queryset.select_related("parent")
                    sort_grid_choices(field)
        return filterset


class ScopedInspectView(ScopedObjectMixin, generic.InspectView):
    def get_field_display_value(self, field_name, field):
        value = super().get_field_display_value(field_name, field)
        if value is None or value == "":
            return "—"
        if isinstance(value, bool):
            return _("是") if value else _("否")
        return value


class ScopedHistoryView(ScopedObjectMixin, history.HistoryView):
    pass


class ScopedUsageView(ScopedObjectMixin, usage.UsageView):
    pass


class NoDeleteView(ScopedObjectMixin, generic.DeleteView):
    object_action = "delete"  # the policy grants no delete: always refused


class ServiceErrorsMixin:
    """A service's ValidationError (checks beyond the model's own) goes back to the form as a
    message, instead of escaping as a server error."""

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for name, errors in exc.error_dict.items():
                    form.add_error(name if name in form.fields else None, errors)
            else:
                form.add_error(None, exc)
            self.produced_error_message = self.get_error_message()
            return self.form_invalid(form)


def _viewset_views(create_service, update_service):
    class CreateView(ServiceErrorsMixin, ScopedFormMixin, generic.CreateView):
        def save_instance(self):
            data = dict(self.form.cleaned_data)
            return create_service(actor=self.request.user, **data)

    class EditView(ServiceErrorsMixin, ScopedFormMixin, ScopedObjectMixin, generic.EditView):
        object_action = "change"

        def save_instance(self):
            return update_service(self.request.user, self.object, self.changes())

    return CreateView, EditView


class ScopedViewSet(ModelViewSet):
    icon = "group"
    add_to_admin_menu = False
    copy_view_enabled = False
    inspect_view_enabled = True
    search_backend_name = None  # plain substring search: finds Chinese names
    index_view_class = ScopedIndexView
    inspect_view_class = ScopedInspectView
    history_view_class = ScopedHistoryView
    usage_view_class = ScopedUsageView
    delete_view_class = NoDeleteView

    def get_queryset(self, request):
        return None

    def get_index_view_kwargs(self, **kwargs):
        # Unlike SnippetViewSet, ModelViewSet never calls get_queryset(request): hand the index
        # view our queryset (with its select_related) or every listed row costs queries.
        queryset = self.get_queryset(None)
        if queryset is not None:
            kwargs.setdefault("queryset", queryset)
        return super().get_index_view_kwargs(**kwargs)


# ---------------------------------------------------------------------------
# The viewsets
# ---------------------------------------------------------------------------

GridCreate, GridEdit = _viewset_views(
    services.grid_create,
    lambda user, grid, changes: services.grid_update(actor=user, grid=grid, **changes),
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


def _household_create(*, actor, village, number, area, address="", status=None, **_ignored):
    return services.household_create(
        actor=actor, village=village, number=number, area=area, address=address, status=status
    )


HouseholdCreateBase, HouseholdEditBase = _viewset_views(
    _household_create,
    lambda user, household, changes: services.household_update(
        actor=user, household=household, **changes
    ),
)


class HouseholdCreate(HouseholdCreateBase):
    def get_form(self, *args, **kwargs):
        form = super().get_form(*args, **kwargs)
        # A new household has no members yet: the head is chosen once members are added.
        form.fields.pop("head", None)
        form.fields.pop("merged_into", None)
        return form


class HouseholdEdit(HouseholdEditBase):
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


def _villager_create(*, actor, village, **fields):
    return services.villager_create(actor=actor, village=village, **fields)


VillagerCreateBase, VillagerEditBase = _viewset_views(
    _villager_create,
    lambda user, villager, changes: services.villager_update(
        actor=user, villager=villager, **changes
    ),
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


MembershipCreate, MembershipEdit = _viewset_views(
    services.membership_create,
    lambda user, membership, changes: services.membership_update(
        actor=user, membership=membership, **changes
    ),
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


def _ruleset_create(**kwargs):
    raise PermissionDenied  # a rule set is created with its village, never on its own


RuleSetCreate, RuleSetEdit = _viewset_views(
    _ruleset_create,
    lambda user, ruleset, changes: services.ruleset_update(actor=user, ruleset=ruleset, **changes),
)


class RuleSetPolicy(VillagePermissionPolicy):
    def _action(self, action):
        if action == "add":
            return None  # a rule set comes with its village
        return super()._action(action)


class RuleSetViewSet(ScopedViewSet):
    model = RuleSet
    icon = "cogs"
    menu_label = _("议事规则")
    edit_view_class = RuleSetEdit
    add_view_class = RuleSetCreate
    form_fields = [f.name for f in RuleSet._meta.fields if f.name not in ("id", "village")]
    list_display = ["village"]
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
        path("audit/", admin_views.audit_overview, name="village_audit"),
    ]


class RosterMenuItem(MenuItem):
    def is_shown(self, request):
        return permissions.can(request.user, Action.EXPORT_ROSTER)


class AuditMenuItem(MenuItem):
    def is_shown(self, request):
        return permissions.can(request.user, Action.VIEW_AUDIT)


@hooks.register("register_admin_menu_item")
def register_roster_menu_item():
    return RosterMenuItem(
        _("花名册导入导出"), reverse("village_roster"), icon_name="download", order=160
    )


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
