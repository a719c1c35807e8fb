"""The scoped admin library: Wagtail ModelViewSets whose every screen asks `village.permissions`.

How an app builds a scoped admin for a model with a `village` field:

1. Register a `VillagePermissionPolicy(Model, view_action, change_action)` for the model with
   `wagtail.permissions.register_permission_policy(Model, policy, exact_class=True)`: Wagtail's
   "may this user add/change/view" questions are then answered by the one permission module,
   and nothing is ever deleted.
2. Build the create and edit views with `service_views(create_service, update_service)`: they
   save through the app's services (which check, validate and audit) and show a service's
   `ValidationError` on the form (`ServiceErrorsMixin`); every choice in the form lists only
   villages where the user may write (`ScopedFormMixin`).
3. Subclass `ScopedViewSet` with `model`, `add_view_class`/`edit_view_class` and the usual
   `form_fields`, `list_display`…; override `get_queryset(request)` to add `select_related`.

The index lists only rows of villages the user may view (`ScopedIndexView`), and an object of
another village is 404 on every view that loads one by primary key (edit, inspect, history,
usage, delete: `ScopedObjectMixin`), not only missing from the index.
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import ModelChoiceField
from django.http import Http404
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail.admin.views import generic
from wagtail.admin.views.generic import history, usage
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies.base import BasePermissionPolicy

from . import permissions
from .models import Grid, Village
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

    def mapped_action(self, action: str) -> Action | None:
        """The permission action behind Wagtail's `action`; None for one never granted."""
        if action in ("add", "change"):
            return self.change_action
        if action == "view":
            return self.view_action
        return None  # delete, publish, lock…: nothing here is ever deleted

    def user_has_permission(self, user, action):
        mapped = self.mapped_action(action)
        return mapped is not None and permissions.can(user, mapped)

    def user_has_permission_for_instance(self, user, action, instance):
        mapped = self.mapped_action(action)
        return mapped is not None and permissions.can(user, mapped, instance)

    def instances_user_has_permission_for(self, user, action):
        mapped = self.mapped_action(action)
        if mapped is None:
            return self.model.objects.none()
        return permissions.scope(user, mapped, self.model.objects.all(), self.village_field)

    def users_with_permission(self, action):
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


def service_views(create_service, update_service):
    """The create and edit views of a scoped viewset, saving through services.

    `create_service(*, actor, **cleaned_data)` makes the object; `update_service(actor, obj,
    changes)` changes it, `changes` holding only the fields the form changed (see
    `service_update` to adapt a keyword-only service)."""

    class CreateView(ServiceErrorsMixin, ScopedFormMixin, generic.CreateView):
        def save_instance(self):
            data = dict(self.form.cleaned_data)
            return create_service(actor=self.request.user, **data)

    class EditView(ServiceErrorsMixin, ScopedFormMixin, ScopedObjectMixin, generic.EditView):
        object_action = "change"

        def save_instance(self):
            return update_service(self.request.user, self.object, self.changes())

    return CreateView, EditView


def service_update(service, object_name: str):
    """Adapt `service(*, actor, <object_name>=obj, **changes)` to `service_views`' edit call."""

    def update(actor, obj, changes):
        return service(actor=actor, **{object_name: obj}, **changes)

    return update


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
