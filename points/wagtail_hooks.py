"""The "积分" menu: review, publications, objections, ledger, counter, welfare, import, and the
store's items."""

from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import Menu, MenuItem, SubmenuMenuItem
from wagtail.permissions import register_permission_policy

from village import permissions
from village.admin_scoped import (
    ScopedViewSet,
    VillagePermissionPolicy,
    service_update,
    service_views,
)

from . import admin_views, catalogue_views, services, welfare_views
from .models import Rule, StoreItem
from .permissions import PointsAction

register_permission_policy(
    StoreItem,
    VillagePermissionPolicy(StoreItem, PointsAction.VIEW, PointsAction.STORE_MANAGE),
    exact_class=True,
)


ItemCreate, ItemEdit = service_views(
    services.store_item_create, service_update(services.store_item_update, "item")
)


class StoreItemViewSet(ScopedViewSet):
    model = StoreItem
    icon = "tag"
    menu_label = _("积分超市物品")
    add_view_class = ItemCreate
    edit_view_class = ItemEdit
    form_fields = ["village", "name", "unit", "points_price", "stock", "active"]
    list_display = ["name", "unit", "points_price", "stock", "active", "village"]
    list_filter = ["active", "village"]
    search_fields = ["name"]

    def get_queryset(self, request):
        return StoreItem.objects.select_related("village")


store_items = StoreItemViewSet("points_store_items", url_prefix="points/store-items")

# The catalogue is read here, not edited: a rule in use must not change under the entries that
# cite it. A new catalogue version is a new set of rules ("points.catalogue" is granted to no
# village role; see docs/points.md).
register_permission_policy(
    Rule,
    VillagePermissionPolicy(
        Rule, PointsAction.VIEW, PointsAction.CATALOGUE_EDIT, "catalogue__village"
    ),
    exact_class=True,
)


class RuleViewSet(ScopedViewSet):
    model = Rule
    icon = "list-ol"
    menu_label = _("积分规则")
    form_fields = ["catalogue", "category", "code", "text", "points"]
    list_display = [
        "code",
        "text",
        "points",
        "cap_per_period",
        "evidence_required",
        "article",
        "category",
        "catalogue",
    ]
    list_filter = ["category", "catalogue"]
    search_fields = ["code", "text", "article"]

    def get_queryset(self, request):
        return Rule.objects.select_related("category", "catalogue__village")


rules = RuleViewSet("points_rules", url_prefix="points/rules")


class PointsMenuItem(MenuItem):
    def __init__(self, *args, action=PointsAction.VIEW, **kwargs):
        super().__init__(*args, **kwargs)
        self.action = action

    def is_shown(self, request):
        return permissions.can(request.user, self.action)


@hooks.register("register_admin_viewset")
def register_store_items():
    return store_items


@hooks.register("register_admin_viewset")
def register_rules():
    return rules


@hooks.register("register_admin_menu_item")
def register_points_menu():
    items = [
        PointsMenuItem(
            _("审核积分"),
            reverse("points_admin_review"),
            icon_name="tick",
            action=PointsAction.REVIEW,
        ),
        PointsMenuItem(_("积分公示"), reverse("points_admin_publications"), icon_name="list-ul"),
        PointsMenuItem(_("积分异议"), reverse("points_admin_objections"), icon_name="help"),
        PointsMenuItem(_("积分台账"), reverse("points_admin_ledger"), icon_name="table"),
        PointsMenuItem(
            _("积分超市收银"),
            reverse("points_admin_counter"),
            icon_name="pick",
            action=PointsAction.STORE_SERVE,
        ),
        PointsMenuItem(_("积分规则"), rules.menu_url, icon_name="list-ol"),
        PointsMenuItem(_("积分细则版本"), reverse("points_admin_catalogues"), icon_name="list-ol"),
        PointsMenuItem(_("积分超市物品"), store_items.menu_url, icon_name="tag"),
        PointsMenuItem(_("星级与福利"), reverse("points_admin_welfare"), icon_name="crosshairs"),
        PointsMenuItem(
            _("导入积分登记表"),
            reverse("points_admin_import"),
            icon_name="upload",
            action=PointsAction.IMPORT,
        ),
    ]
    return PointsSubmenu(_("积分"), Menu(items=items), icon_name="pick", order=150)


class PointsSubmenu(SubmenuMenuItem):
    def is_shown(self, request):
        return permissions.can(request.user, PointsAction.VIEW)


@hooks.register("register_admin_urls")
def register_points_admin_urls():
    v, c, w = admin_views, catalogue_views, welfare_views
    return [
        path("points/review/", v.review, name="points_admin_review"),
        path("points/publications/", v.publications, name="points_admin_publications"),
        path(
            "points/publications/<int:publication_id>/xlsx/",
            v.export_publication,
            name="points_admin_publication_xlsx",
        ),
        path("points/objections/", v.objections, name="points_admin_objections"),
        path("points/ledger/", v.ledger, name="points_admin_ledger"),
        path(
            "points/entries/<int:entry_id>/reverse/", v.reverse_entry, name="points_admin_reverse"
        ),
        path("points/counter/", v.counter, name="points_admin_counter"),
        path("points/welfare/", w.welfare, name="points_admin_welfare"),
        path("points/supervise/", v.supervise, name="points_admin_supervise"),
        path("points/welfare/stars/<int:round_id>/", w.ratings, name="points_admin_ratings"),
        path(
            "points/welfare/allocations/<int:allocation_id>/",
            w.allocation_page,
            name="points_admin_allocation",
        ),
        path(
            "points/welfare/allocations/<int:allocation_id>/xlsx/",
            w.export_allocation,
            name="points_admin_allocation_xlsx",
        ),
        path("points/import/", v.import_sheet, name="points_admin_import"),
        path(
            "points/publications/<int:publication_id>/print/",
            v.print_publication,
            name="points_admin_publication_print",
        ),
        path(
            "points/welfare/allocations/<int:allocation_id>/print/",
            w.print_allocation,
            name="points_admin_allocation_print",
        ),
        path(
            "points/households/<int:household_id>/statement/",
            v.print_statement,
            name="points_admin_statement_print",
        ),
        path(
            "points/households/<int:household_id>/card/",
            v.print_card,
            name="points_admin_card_print",
        ),
        path("points/catalogues/", c.catalogues, name="points_admin_catalogues"),
        path("points/catalogues/<int:catalogue_id>/", c.catalogue, name="points_admin_catalogue"),
        path("points/welfare/year/", c.year_open, name="points_admin_year_open"),
        path("points/batches/", w.batch_start, name="points_admin_batch_start"),
        path("points/batches/<int:batch_id>/", w.batch, name="points_admin_batch"),
        path("points/batches/<int:batch_id>/zip/", w.batch_zip, name="points_admin_batch_zip"),
    ]
