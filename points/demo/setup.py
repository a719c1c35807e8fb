"""Before the story starts: the catalogue (积分制管理细则) with its categories and rules, the
积分超市's keeper, and the goods on its shelf — through points.services and village.services."""

from datetime import date

from django.utils import timezone

from village import audit
from village import services as village_services
from village.demo import PASSWORD
from village.models import Villager, VillageRole, VillagerStatus
from village.permissions import SYSTEM

from .. import selectors, services
from ..models import Rule, StoreItem
from .data import CATEGORIES, RULES, STORE


def catalogue_create(village, secretary, year: int) -> dict[str, Rule]:
    """The catalogue in force since 1 January of last year, drafted rule by rule; returns its
    rules by code."""
    catalogue = services.catalogue_draft(
        actor=secretary, village=village, title="东毛铺村积分制管理细则"
    )
    for code, text, points, cap, photo, article in RULES:
        services.catalogue_rule_save(
            actor=secretary,
            catalogue=catalogue,
            data={
                "new_category": CATEGORIES[code[:2]],
                "code": code,
                "text": text,
                "points": points,
                "cap_per_period": cap,
                "evidence_required": photo,
                "article": article,
            },
        )
    catalogue_adopt_before_record(catalogue, secretary, year)
    return {rule.code: rule for rule in catalogue.rules.all()}


def catalogue_adopt_before_record(catalogue, secretary, year: int) -> None:
    """Adopt the demo's first catalogue as `catalogue_adopt` does, but without a resolution
    of the platform's record: the representatives passed it in December two years back, before
    any matter the demo records, and `catalogue_adopt` only accepts a published resolution."""
    catalogue.effective_from = date(year - 1, 1, 1)
    catalogue.adopted_by = f"{year - 2}年12月28日村民代表会议决议（东毛铺村积分制管理细则）"
    catalogue.adopted_at = timezone.now()  # adopted as it was entered
    catalogue._history_user = secretary
    catalogue.save()
    audit.record(
        actor=secretary,
        action="points.catalogue.adopt",
        obj=catalogue,
        village=catalogue.village,
        payload={
            "version": catalogue.version,
            "effective_from": catalogue.effective_from,
            "resolution": None,
            "rules": catalogue.rules.count(),
            "rules_sha256": selectors.rules_fingerprint(catalogue=catalogue),
        },
    )


def store_keeper_appoint(village, year: int):
    """An adult villager with no other role and no login becomes the 积分超市 keeper; returns
    the keeper's login."""
    oldest, youngest = date(1966, 1, 1), date(1991, 1, 1)
    villager = (
        Villager.objects.filter(
            village=village,
            user__isnull=True,
            memberships__isnull=True,
            status=VillagerStatus.REGISTERED,
            relation_to_head__in=["户主", "配偶"],
            birth_date__gte=oldest,
            birth_date__lte=youngest,
            household__area__name="一片区",
        )
        .exclude(household__members__user__isnull=False)
        .order_by("household__number", "id")
        .first()
    )
    village_services.membership_create(
        actor=SYSTEM,
        village=village,
        villager=villager,
        role=VillageRole.STORE_KEEPER,
        start=date(year - 1, 1, 1),
        note="积分超市管理员",
    )
    villager = village_services.villager_update(
        actor=SYSTEM, villager=villager, phone="13900000005"
    )
    return village_services.account_create(
        actor=SYSTEM, villager=villager, username="storekeeper", password=PASSWORD
    )


def store_stock(village, keeper) -> dict[str, StoreItem]:
    """The goods on the shelf, put there by the keeper; by name."""
    items = [
        services.store_item_create(
            actor=keeper, village=village, name=name, unit=unit, points_price=price, stock=stock
        )
        for name, unit, price, stock in STORE
    ]
    return {item.name: item for item in items}
