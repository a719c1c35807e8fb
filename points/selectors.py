"""Reads of the points ledger: what a household, a cadre or the village-affairs board sees."""

import hashlib
import json
from datetime import date, timedelta
from enum import StrEnum

from django.db import connection
from django.db.models import Count, Q, Sum
from django.db.models.expressions import RawSQL
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from village import officers, permissions
from village.extensions import resolutions
from village.models import Household, HouseholdStatus, Village
from village.money import yuan_figure
from village.naming import natural_sorted
from village.publications import PublishedItem

from . import terms
from .models import (
    SCORE_KINDS,
    Account,
    Allocation,
    Catalogue,
    Entry,
    EntryStatus,
    Objection,
    ObjectionStatus,
    Publication,
    Rule,
    StarRating,
    StarRound,
    StoreItem,
)
from .permissions import PointsAction


def households_to_record(user, *, villages=None):
    """The active households `user` may record points for: every one of a village where the
    user is a cadre, the households of their own grid (large grid or area) for a grid officer.
    `villages`: the user's recording villages when the caller has them already."""
    if villages is None:
        villages = permissions.visible_villages(user, PointsAction.RECORD)
    households = Household.objects.filter(village__in=villages, status=HouseholdStatus.ACTIVE)
    return officers.households_acted_for(user, households)


def household_match(q: str) -> Q:
    """A household found by its number or its head's name, as the officer types them."""
    return Q(number__icontains=q) | Q(head__name__icontains=q)


def areas_found_elsewhere(user, q: str, *, villages=None) -> list[str]:
    """The areas of the village's households matching `q` that `user` may not record for.

    Only area names: the officer learns whom to ask, not who lives there."""
    if villages is None:
        villages = permissions.visible_villages(user, PointsAction.RECORD)
    names = (
        Household.objects.filter(
            household_match(q), village__in=villages, status=HouseholdStatus.ACTIVE
        )
        .exclude(pk__in=households_to_record(user, villages=villages).values("pk"))
        .order_by()
        .values_list("area__name", flat=True)
        .distinct()
    )
    return natural_sorted(names[:30])


def account_of(household: Household) -> Account | None:
    return Account.objects.filter(household=household, villager__isnull=True).first()


def entries_of(household: Household, *, year: int | None = None, objections: bool = False):
    """A household's entries as the household sees them: not the rejected ones; with each
    entry's objections when the page lists them."""
    qs = (
        Entry.objects.filter(account__household=household, account__villager__isnull=True)
        .exclude(status=EntryStatus.REJECTED)
        .select_related("rule__category", "publication")
        .order_by("-occurred_on", "-id")
    )
    if objections:
        qs = qs.prefetch_related("objections")
    if year is not None:
        qs = qs.filter(year=year)
    return qs


def year_summary(household: Household, year: int) -> dict:
    row = Entry.objects.filter(
        account__household=household,
        account__villager__isnull=True,
        year=year,
        status=EntryStatus.POSTED,
    ).aggregate(
        earned=Sum("points", filter=Q(points__gt=0, kind__in=["conduct", "opening"])),
        deducted=Sum("points", filter=Q(points__lt=0, kind="conduct")),
        spent=Sum("points", filter=Q(kind="redemption")),
    )
    return {k: v or 0 for k, v in row.items()}


def publication_rows(publication: Publication):
    return (
        publication.entries.select_related("account__household__head", "rule__category")
        .annotate(
            open_objections=Count("objections", filter=Q(objections__status=ObjectionStatus.OPEN))
        )
        .order_by("account__household__number", "occurred_on", "pk")
    )


def may_see_publication(user, publication: Publication) -> bool:
    village = publication.village
    return permissions.can(user, PointsAction.VIEW, village) or permissions.can(
        user, PointsAction.OBJECT, village
    )


def published_lists(village: Village) -> list[PublishedItem]:
    items = []
    qs = (
        Publication.objects.filter(village=village)
        .annotate(n=Count("entries"), total=Sum("entries__points"))
        .order_by("-published_at")
    )
    for p in qs:
        items.append(
            PublishedItem(
                kind="points",
                title=str(p),
                published_at=p.published_at,
                url=reverse("points:publication", args=[p.pk]),
                category=_("积分公示"),
                summary=_("%(n)s 条记录；异议截止 %(end)s")
                % {"n": p.n, "end": timezone.localtime(p.objection_ends_at).strftime("%Y-%m-%d")},
            )
        )
    return items


def published_welfare(village: Village) -> list[PublishedItem]:
    items = []
    for rnd in StarRound.objects.filter(village=village, published_at__isnull=False):
        items.append(
            PublishedItem(
                kind="welfare",
                title=str(rnd),
                published_at=rnd.published_at,
                url=reverse("points:stars", args=[rnd.pk]),
                category=_("星级文明户"),
            )
        )
    for allocation in Allocation.objects.filter(village=village, published_at__isnull=False):
        items.append(
            PublishedItem(
                kind="welfare",
                title=allocation.title,
                published_at=allocation.published_at,
                url=reverse("points:allocation", args=[allocation.pk]),
                category=_("福利分配"),
                summary=_("总额 %(yuan)s 元") % {"yuan": yuan_figure(allocation.pool_fen)},
            )
        )
    return items


def store_items(village: Village):
    return StoreItem.objects.filter(village=village, active=True).order_by("points_price", "name")


def open_objections(village_ids):
    return (
        Objection.objects.filter(village_id__in=village_ids)
        .select_related("entry__account__household", "entry__rule", "villager")
        .order_by("status", "-filed_at")
    )


# --- catalogue, dates, scores and fingerprints (read by the services and the screens) --------


def catalogue_on(village: Village, day: date) -> Catalogue | None:
    """The adopted catalogue in effect on `day` (drafts never apply)."""
    return (
        Catalogue.objects.filter(village=village, effective_from__lte=day, adopted_at__isnull=False)
        .order_by("-effective_from", "-version")
        .first()
    )


RULE_FIELDS = ("code", "text", "points", "cap_per_period", "evidence_required", "article")


def rule_facts(rule: Rule) -> dict:
    """A rule's facts as the audit chain and the fingerprint hold them."""
    return {"category": rule.category.name, **{f: getattr(rule, f) for f in RULE_FIELDS}}


def rules_fingerprint(catalogue: Catalogue) -> str:
    """SHA-256 of the catalogue's rules in canonical form (recorded when it is adopted)."""
    rules = catalogue.rules.select_related("category").order_by("code")
    text = json.dumps(
        [rule_facts(r) for r in rules], ensure_ascii=False, sort_keys=True, separators=(",", ":")
    )
    return hashlib.sha256(text.encode()).hexdigest()


def rules_on(village: Village, day: date):
    """The rules of the catalogue in effect on `day`, by category and code."""
    catalogue = catalogue_on(village, day)
    if catalogue is None:
        return Rule.objects.none()
    return catalogue.rules.select_related("category").order_by("category__order", "code")


def month_start(day: date) -> date:
    """The first day of `day`'s month."""
    return day.replace(day=1)


def next_month(day: date) -> date:
    """The first day of the month after `day`'s."""
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def publications_due(now=None):
    """Publications not yet posted whose objection window has ended."""
    now = now or timezone.now()
    return Publication.objects.filter(closed_at__isnull=True, objection_ends_at__lte=now)


def year_scores(village: Village, year: int) -> dict[int, int]:
    """Household id → the year's conduct score (base points, additions, deductions and
    reversals that are posted; redemptions do not lower it).

    Two plain reads instead of a join: the entries summed by account (from the covering index
    `entry_village_year_score` on PostgreSQL), and the village's household accounts."""
    totals = dict(
        Entry.objects.filter(
            village=village, year=year, status=EntryStatus.POSTED, kind__in=SCORE_KINDS
        )
        .order_by()
        .values_list("account_id")
        .annotate(total=Sum("points"))
    )
    if not totals:
        return {}
    accounts = Account.objects.filter(village=village, villager__isnull=True).order_by()
    return {
        household_id: totals[pk]
        for pk, household_id in accounts.values_list("pk", "household_id")
        if pk in totals
    }


def active_household_scores(village: Village, year: int) -> list[tuple[int, str, int]]:
    """(household id, number, the year's score as in year_scores) of every active household,
    by number — one read for a county's allocation. PostgreSQL keeps each household's score of
    a year (migration 0007): the households joined with it. Elsewhere the entries of the
    households' accounts are summed (the covering index) and joined."""
    household = Household._meta.db_table
    if connection.vendor == "postgresql":
        sql = f"""SELECT h.id, h.number, COALESCE(y.score, 0) FROM {household} h
                  LEFT JOIN {YEAR_SCORE_TABLE} y ON y.household_id = h.id AND y.year = %s
                  WHERE h.village_id = %s AND h.status = %s ORDER BY h.number"""
        params = [year, village.pk, HouseholdStatus.ACTIVE]
    else:
        totals = (
            Entry.objects.filter(
                village=village, year=year, status=EntryStatus.POSTED, kind__in=SCORE_KINDS
            )
            .order_by()
            .values("account_id")
            .annotate(total=Sum("points"))
        )
        totals_sql, totals_params = totals.query.sql_with_params()
        sql = f"""SELECT h.id, h.number, COALESCE(t.total, 0) FROM {household} h
                  LEFT JOIN {Account._meta.db_table} a
                    ON a.household_id = h.id AND a.villager_id IS NULL
                  LEFT JOIN ({totals_sql}) t ON t.account_id = a.id
                  WHERE h.village_id = %s AND h.status = %s ORDER BY h.number"""
        params = [*totals_params, village.pk, HouseholdStatus.ACTIVE]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def year_scores_of(household: Household, year: int) -> int:
    """One household's conduct score of `year` (as in year_scores)."""
    row = Entry.objects.filter(
        account__household=household,
        account__villager__isnull=True,
        year=year,
        status=EntryStatus.POSTED,
        kind__in=SCORE_KINDS,
    ).aggregate(total=Sum("points"))
    return row["total"] or 0


def shares_sha256(rows) -> str:
    """SHA-256 of (household number, fen) rows, one per line."""
    text = "\n".join(f"{number}\t{fen}" for number, fen in rows)
    return hashlib.sha256(text.encode()).hexdigest()


def shares_fingerprint(allocation: Allocation) -> str:
    """SHA-256 of the allocation's (household number, fen) rows in rank order, as stored; the
    audit chain holds it from creation and publication, so a share changed later shows."""
    return shares_sha256(
        allocation.shares.order_by("rank").values_list("household__number", "amount_fen")
    )


def ratings_fingerprint(star_round) -> str:
    """SHA-256 of the round's (household number, score, stars) rows in household order: what
    the resolution that decides the round quotes (a revocation later does not change it)."""
    rows = star_round.ratings.order_by("household__number").values_list(
        "household__number", "score", "stars"
    )
    text = "\n".join(f"{number}\t{score}\t{stars}" for number, score, stars in rows)
    return hashlib.sha256(text.encode()).hexdigest()


def allocation_terms(allocation: Allocation) -> list[tuple[str, str]]:
    """The terms a resolution must carry for `allocation` to be published under it."""
    return terms.allocation_terms(allocation, shares_fingerprint(allocation))


def star_round_terms(star_round) -> list[tuple[str, str]]:
    return terms.star_terms(star_round, ratings_fingerprint(star_round))


def revoked_star_households(village: Village, year: int) -> dict[int, str]:
    """Households whose star rating of `year` was revoked: the usual ineligibility list."""
    return {
        r.household_id: _("星级被撤销：%(reason)s") % {"reason": r.revoked_reason}
        for r in StarRating.objects.filter(
            round__village=village, round__year=year, revoked_at__isnull=False
        )
    }


YEAR_SCORE_TABLE = "points_year_score"  # PostgreSQL only, written by the database (0007)


def year_scores_differing() -> list[tuple[int, int, int, int]]:
    """PostgreSQL: (household id, year, score kept, score summed) wherever the score the
    database keeps (migration 0007) differs from the sum of the posted entries of the household's
    account — a forgery made with the triggers switched off. Elsewhere nothing is kept, so
    nothing can differ."""
    if connection.vendor != "postgresql":
        return []
    summed = (
        Entry.objects.filter(
            status=EntryStatus.POSTED, kind__in=SCORE_KINDS, account__villager__isnull=True
        )
        .order_by()
        .values("account__household_id", "year")
        .annotate(total=Sum("points"))
    )
    summed_sql, summed_params = summed.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT COALESCE(k.household_id, s.household_id), COALESCE(k.year, s.year),
                       COALESCE(k.score, 0), COALESCE(s.total, 0)
                FROM {YEAR_SCORE_TABLE} k
                FULL JOIN ({summed_sql}) AS s (household_id, year, total)
                  ON s.household_id = k.household_id AND s.year = k.year
                WHERE COALESCE(k.score, 0) <> COALESCE(s.total, 0)
                ORDER BY 1, 2""",
            summed_params,
        )
        return cursor.fetchall()


def balances_differing(village_ids=None) -> list[tuple[Account, int]]:
    """Accounts whose materialised balance differs from the sum of their posted entries — on
    PostgreSQL also those whose database-kept running total (`posted_total`, migration 0005)
    differs from it: a forgery made with the triggers switched off shows either way."""
    qs = Account.objects.select_related("household", "village")
    if village_ids is not None:
        qs = qs.filter(village_id__in=village_ids)
    posted = Sum("entries__points", filter=Q(entries__status=EntryStatus.POSTED))
    qs = qs.annotate(posted=posted)
    if connection.vendor == "postgresql":
        qs = qs.annotate(kept=RawSQL(f"{Account._meta.db_table}.posted_total", ()))
    out = []
    for account in qs.order_by("pk").iterator(chunk_size=2000):
        total = account.posted or 0
        kept = getattr(account, "kept", total)
        if total != account.balance or kept != total:
            out.append((account, total))
    return out


def welfare_visible(user, village) -> bool:
    """The village's star ratings and shares: its villagers and those who oversee points. A
    亲情账号 reads its own household's points, not the other households' ratings and shares."""
    is_villager = permissions.roles_of(user).villager_id is not None
    return permissions.can(user, PointsAction.VIEW, village) or (
        is_villager and permissions.can(user, PointsAction.OBJECT, village)
    )


def deciding_resolution(obj):
    """The standing resolution a published list was published under (village.extensions), or
    None (a draft, or a resolution since returned)."""
    if not obj.matter_ref:
        return None
    return next((r for r in resolutions(obj.village) if r.ref == obj.matter_ref), None)


class ListState(StrEnum):
    DRAFT = "draft"
    OBJECTING = "objecting"
    ANSWERING = "answering"
    FINAL = "final"


LIST_STATES = {
    ListState.DRAFT: gettext_lazy("草案，尚未公布"),
    ListState.OBJECTING: gettext_lazy("公示中，可提出异议"),
    ListState.ANSWERING: gettext_lazy("公示期满，异议待答复"),
    ListState.FINAL: gettext_lazy("已确定"),
}


def allocation_state(allocation: Allocation, objections: list) -> tuple[str, object]:
    """Where a list stands, and since or until when: a draft; published and open for
    objections (until the window ends); the window over with objections unanswered; final
    (from the later of the window's end and the last answer)."""
    if not allocation.published_at:
        return ListState.DRAFT, None
    if timezone.now() < allocation.objection_ends_at:
        return ListState.OBJECTING, allocation.objection_ends_at
    if any(o.answered_at is None for o in objections):
        return ListState.ANSWERING, allocation.objection_ends_at
    return ListState.FINAL, max(
        [allocation.objection_ends_at, *(o.answered_at for o in objections)]
    )
