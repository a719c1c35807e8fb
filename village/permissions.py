"""The one place that answers "may user U do action A on object O".

Every view, admin screen, API endpoint and service asks here. Roles come from dated
memberships valid today; a user sees only villages where they hold a role or live, and a
township's inspector sees every village of the township, read-only.

A user's roles are read once per request, and kept across requests in the shared cache (Redis
in production) under a key of the user's *role generation* and the date: any change of one of
their memberships, township memberships or villager record advances the generation (now and
again on commit, like the pages' fragments), so the next request reads them afresh; the date in
the key ends every role at midnight as `valid_on` does; and nothing is kept longer than five
minutes, so that a change made outside the application (raw SQL, a restored backup) is seen too.
"""

import secrets
from dataclasses import dataclass, field, replace
from enum import StrEnum

from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q, QuerySet
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import (
    Household,
    HouseholdProxy,
    HouseholdStatus,
    Membership,
    TownshipMembership,
    Village,
    Villager,
    VillagerStatus,
)


class Action(StrEnum):
    ACCESS_ADMIN = "admin.access"
    VIEW_VILLAGE = "village.view"
    VIEW_ROSTER = "roster.view"
    VIEW_ID_NUMBER = "villager.view_id_number"
    CHANGE_ROSTER = "roster.change"
    IMPORT_ROSTER = "roster.import"
    EXPORT_ROSTER = "roster.export"
    CHANGE_MEMBERSHIP = "membership.change"
    ISSUE_ACTIVATION = "activation.issue"
    CHANGE_RULES = "rules.change"
    VIEW_AUDIT = "audit.view"
    VIEW_HOUSEHOLD = "household.view"
    # 村务监督委员会: countersign or dispute a tally, a list, an allocation; an opinion.
    SUPERVISE = "supervision.note"
    # 三亮 and 党建+N: edit any card of the village's board, note the branch's verdict on the
    # year's commitments, make 包联 assignments, read the members' visit notes.
    PARTY_CARD_EDIT = "party.card.edit"
    PARTY_FULFILMENT = "party.commitment.fulfilment"
    PARTY_LINK_MANAGE = "party.link.manage"
    PARTY_VISITS_VIEW = "party.visit.view"


A = Action
_READ = {A.ACCESS_ADMIN, A.VIEW_VILLAGE, A.VIEW_ROSTER, A.VIEW_AUDIT, A.EXPORT_ROSTER}
_STAFF = _READ | {A.VIEW_ID_NUMBER, A.CHANGE_ROSTER, A.IMPORT_ROSTER}

# Village roles → what they may do in their own village.
VILLAGE_GRANTS: dict[str, set[Action]] = {
    "secretary": _STAFF
    | {
        A.CHANGE_MEMBERSHIP,
        A.ISSUE_ACTIVATION,
        A.PARTY_CARD_EDIT,
        A.PARTY_FULFILMENT,
        A.PARTY_LINK_MANAGE,
        A.PARTY_VISITS_VIEW,
    },
    "branch_committee": _STAFF | {A.PARTY_FULFILMENT},
    "village_committee": set(_STAFF),
    "grid_officer": {A.ACCESS_ADMIN, A.VIEW_VILLAGE, A.VIEW_ROSTER},
    "supervision": _READ | {A.SUPERVISE},
    "store_keeper": {A.ACCESS_ADMIN, A.VIEW_VILLAGE},
    # 乡贤参事: reads the village's matters and gives advisory opinions (deliberation).
    "xiangxian": {A.ACCESS_ADMIN, A.VIEW_VILLAGE},
    # A registered villager living in the village.
    "resident": {A.VIEW_VILLAGE},
    # 亲情账号: an account acting for one household of the village (never a villager itself).
    "proxy": {A.VIEW_VILLAGE},
}
# Township roles → what they may do in every village of their township.
TOWNSHIP_GRANTS: dict[str, set[Action]] = {
    "inspector": set(_READ),
    "township_admin": _READ | {A.CHANGE_RULES, A.CHANGE_MEMBERSHIP},
}
# Actions that change something; an inspector never gets one.
WRITE_ACTIONS = {
    A.CHANGE_ROSTER,
    A.IMPORT_ROSTER,
    A.CHANGE_MEMBERSHIP,
    A.ISSUE_ACTIVATION,
    A.CHANGE_RULES,
    A.SUPERVISE,
    A.PARTY_CARD_EDIT,
    A.PARTY_FULFILMENT,
    A.PARTY_LINK_MANAGE,
}


def register(action: str, *, village_roles=(), township_roles=(), write: bool = False) -> None:
    """Let an app add its own action (e.g. "matter.manage") to the one permission table."""
    for role in village_roles:
        VILLAGE_GRANTS[role].add(action)
    for role in township_roles:
        TOWNSHIP_GRANTS[role].add(action)
    if write:
        WRITE_ACTIONS.add(action)


class _System:
    """The platform itself acting: the demo loader, scheduled tasks, management commands.

    Services require an actor; they never skip the permission check for a missing one. Code that
    acts for no person passes `SYSTEM`, which may do everything and is stored as "no user"
    (`user_of`). An actor of `None` is refused like an anonymous visitor.
    """

    is_authenticated = True
    is_active = True
    is_superuser = False
    is_anonymous = False
    pk = id = None

    def get_username(self) -> str:
        return "system"

    def __repr__(self) -> str:
        return "SYSTEM"


SYSTEM = _System()


def user_of(actor):
    """The user to store for `actor`: `None` for the system."""
    return None if actor is SYSTEM else actor


@dataclass
class Roles:
    """A user's roles valid on one day, loaded once per request."""

    village_roles: dict[int, set[str]] = field(default_factory=dict)
    township_roles: dict[int, set[str]] = field(default_factory=dict)
    household_id: int | None = None
    home_village_id: int | None = None
    villager_id: int | None = None
    # 亲情账号: the binding in force today and its household (an account with no villager).
    proxy_id: int | None = None
    proxy_household_id: int | None = None
    # can(user, action) with no target, answered once per request (admin listings ask per row).
    anywhere: dict[Action, bool] = field(default_factory=dict)

    def actions_in(self, village_id: int, township_id: int) -> set[Action]:
        granted: set[Action] = set()
        for role in self.village_roles.get(village_id, ()):
            granted |= VILLAGE_GRANTS[role]
        for role in self.township_roles.get(township_id, ()):
            granted |= TOWNSHIP_GRANTS[role]
        return granted

    @property
    def is_staff_anywhere(self) -> bool:
        return any(r - {"resident"} for r in self.village_roles.values()) or bool(
            self.township_roles
        )


# Minutes, though the generation catches every change the application makes: a change made
# outside it (raw SQL, a restored backup) sends no signal, and must not last until midnight.
ROLES_TIMEOUT = 5 * 60


def role_generation_key(user_id) -> str:
    """The cache key of the user's role generation; what is kept about the user across
    requests (their roles, their `GET /api/v1/me` answer) is kept under its value."""
    return f"cz:roles-gen:u{user_id}"


def generation(key: str, found: str | None = None) -> str:
    """The generation under `key` (`found` when the caller has read it already), a new one when
    the cache has none."""
    if found is None:
        found = cache.get(key)
    if found is None:
        # A random token, never a counter: a token lost from the cache is replaced by a new
        # one, so whatever was kept before can never match again.
        found = secrets.token_hex(6)
        cache.set(key, found, None)
    return found


def advance_generation(key: str) -> None:
    """Advance a generation: now, so that the writing request sees its change, and again once
    the transaction commits, so that what another request read before the commit (and kept
    under the first token) is never asked for again."""
    cache.set(key, secrets.token_hex(6), None)
    transaction.on_commit(lambda: cache.set(key, secrets.token_hex(6), None))


def _roles_key(user_id, today) -> str:
    """Where this user's roles for `today` are kept: under their current role generation."""
    current = generation(role_generation_key(user_id))
    return f"cz:roles:u{user_id}:{current}:{today.isoformat()}"


def roles_of(user) -> Roles:
    if user is SYSTEM or not getattr(user, "is_authenticated", False):
        return Roles()
    today = timezone.localdate()
    cached = getattr(user, "_cunzhi_roles", None)
    if cached and cached[0] == today:
        return cached[1]
    key = _roles_key(user.pk, today)
    roles = cache.get(key)
    if roles is None:
        roles = _load_roles(user, today)
        cache.set(key, roles, ROLES_TIMEOUT)
    # `anywhere` is per request: a township's villages can change without a role changing.
    roles = replace(roles, anywhere={})
    user._cunzhi_roles = (today, roles)
    return roles


def _load_roles(user, today) -> Roles:
    roles = Roles()
    # Unordered: Villager's and Membership's default orderings join villages, townships and
    # households — for one row, and on every request of a signed-in user.
    villager = _load_villager(user)
    # Kept for the request: services ask "which villager is this user" right after.
    user._cunzhi_villager = (today, villager)
    if villager is not None:
        roles.villager_id = villager.pk
        roles.household_id = villager.household_id
        roles.home_village_id = villager.village_id
        if villager.status == VillagerStatus.REGISTERED:
            roles.village_roles.setdefault(villager.village_id, set()).add("resident")
        for village_id, role in (
            Membership.objects.valid_on(today)
            .filter(villager=villager)
            .order_by()
            .values_list("village_id", "role")
        ):
            roles.village_roles.setdefault(village_id, set()).add(role)
    else:
        binding = (
            HouseholdProxy.objects.active_on(today)
            # A household closed or merged since: its proxy acts for nobody.
            .filter(user=user, household__status=HouseholdStatus.ACTIVE)
            .order_by("pk")
            .values_list("pk", "household_id", "village_id")[:1]
        )
        for proxy_id, household_id, village_id in binding:
            roles.proxy_id, roles.proxy_household_id = proxy_id, household_id
            roles.village_roles.setdefault(village_id, set()).add("proxy")
    for township_id, role in (
        TownshipMembership.objects.valid_on(today)
        .filter(user=user)
        .order_by()
        .values_list("township_id", "role")
    ):
        roles.township_roles.setdefault(township_id, set()).add(role)
    return roles


def _load_villager(user) -> Villager | None:
    # Unordered: Villager's default ordering joins villages and households — for one row. The
    # household comes with its village, area and head: the villager's pages show them.
    found = (
        Villager.objects.filter(user=user)
        .select_related("village", "household__village", "household__area", "household__head")
        .order_by()[:1]
    )
    return found[0] if found else None


def forget_roles(user) -> None:
    """The user's roles changed: this request and every later one read them afresh."""
    for attribute in ("_cunzhi_roles", "_cunzhi_villager", "_cunzhi_proxy"):
        if hasattr(user, attribute):
            delattr(user, attribute)
    roles_changed(user.pk)


def roles_changed(user_id) -> None:
    """Advance the user's role generation (`advance_generation`): their next request reads
    their roles afresh."""
    if not user_id:
        return
    advance_generation(role_generation_key(user_id))


def _role_row_changed(sender, instance, **kwargs):
    """A membership, township membership or villager record was saved or deleted."""
    user_id = getattr(instance, "user_id", None)
    villager = instance._state.fields_cache.get("villager")
    if villager is not None:
        user_id = villager.user_id
    elif user_id is None and getattr(instance, "villager_id", None):
        user_id = (
            Villager.objects.filter(pk=instance.villager_id)
            .values_list("user_id", flat=True)
            .first()
        )
    roles_changed(user_id)


# Sent before a stored villager record is saved, with the household it is stored under: read
# once here, with the account it is linked to, for every cache that follows a villager.
villager_saving = Signal()


def _holder_moving(sender, instance, **kwargs):
    """A row roles are read from, about to be saved: if it moves from one user to another (a
    villager record's account link, a membership's villager, a township membership's user),
    the user it leaves must lose the roles it gave them too."""
    if instance.pk is None:
        return
    if sender is Membership:
        before = Membership.objects.filter(pk=instance.pk).values_list("villager_id", flat=True)
        before = before.first()
        if before is not None and before != instance.villager_id:
            roles_changed(
                Villager.objects.filter(pk=before).values_list("user_id", flat=True).first()
            )
        return
    if sender is Villager:
        stored = Villager.objects.filter(pk=instance.pk).order_by("pk")  # no joins to order
        stored = stored.values_list("user_id", "household_id")
        stored = stored.first()
        if stored is None:
            return
        before, household_id = stored
        villager_saving.send(sender, instance=instance, stored_household_id=household_id)
    else:
        before = sender.objects.filter(pk=instance.pk).values_list("user_id", flat=True).first()
    if before is not None and before != instance.user_id:
        roles_changed(before)


def connect() -> None:
    """Connected in VillageConfig.ready: every save or delete of a row roles are read from."""
    for model in (Membership, TownshipMembership, Villager, HouseholdProxy):
        for signal in (post_save, post_delete):
            signal.connect(_role_row_changed, sender=model, dispatch_uid=f"roles-{model}")
    for model in (Membership, TownshipMembership, Villager):
        pre_save.connect(_holder_moving, sender=model, dispatch_uid=f"roles-holder-{model}")


def villager_of(user) -> Villager | None:
    """The villager record of a signed-in user (read with their roles, once per request).

    The one answer to "which villager is this user"; every app asks here.
    """
    if user is SYSTEM or not getattr(user, "is_authenticated", False):
        return None
    cached = getattr(user, "_cunzhi_villager", None)
    if cached and cached[0] == timezone.localdate():
        return cached[1]
    villager = _load_villager(user)
    user._cunzhi_villager = (timezone.localdate(), villager)
    return villager


def proxy_of(user) -> HouseholdProxy | None:
    """The 亲情账号 binding in force today of a signed-in user, with its household, or None (read
    once per request, after the roles that name it)."""
    if user is SYSTEM or not getattr(user, "is_authenticated", False):
        return None
    proxy_id = roles_of(user).proxy_id
    if proxy_id is None:
        return None
    cached = getattr(user, "_cunzhi_proxy", None)
    if cached is not None and cached.pk == proxy_id:
        return cached
    binding = (
        HouseholdProxy.objects.select_related("household__village", "household__head")
        .filter(pk=proxy_id)
        .order_by()
        .first()
    )
    user._cunzhi_proxy = binding
    return binding


def household_of(user) -> Household | None:
    """The household whose own pages `user` reads: their own, or the one their 亲情账号 acts
    for."""
    villager = villager_of(user)
    if villager is not None:
        return villager.household
    proxy = proxy_of(user)
    return proxy.household if proxy is not None else None


class ProxyRefused(PermissionDenied):
    """Something only a villager in person may do, tried through a 亲情账号."""


def in_name_of(user, village) -> tuple[Villager | None, HouseholdProxy | None]:
    """In whose name `user` acts in `village`: their own villager record, or — through a
    亲情账号 — the household's head (its first registered member when the head is not), with
    the binding; (None, None) for anyone else. The caller still checks the villager's status."""
    villager = villager_of(user)
    if villager is not None:
        return (villager, None) if villager.village_id == village.pk else (None, None)
    proxy = proxy_of(user)
    if proxy is None or proxy.village_id != village.pk:
        return None, None
    head = proxy.household.head
    # The head as recorded, if still a registered member of the household (one who moved to
    # another household stays its recorded head until the roster is corrected).
    if (
        head is None
        or head.status != VillagerStatus.REGISTERED
        or head.household_id != proxy.household_id
    ):
        head = (
            Villager.objects.filter(
                household_id=proxy.household_id, status=VillagerStatus.REGISTERED
            )
            .order_by("pk")
            .first()
        )
    return head, (proxy if head is not None else None)


def proxy_mark(proxy: HouseholdProxy | None) -> dict:
    """What an event's payload says of a 亲情账号 that acted (nothing when none did)."""
    if proxy is None:
        return {}
    return {"proxy": proxy.pk, "proxy_name": proxy.name, "proxy_relation": proxy.relation}


def refuse_proxy(user, what: str) -> None:
    """Refuse, with the reason, an act a 亲情账号 may never do for its household (voting)."""
    if villager_of(user) is None and proxy_of(user) is not None:
        raise ProxyRefused(
            _("亲情账号不能%(what)s：只有村民本人可以%(what)s（本人登录，或到会场）。")
            % {"what": what}
        )


def _village_of(target) -> Village | None:
    if isinstance(target, Village):
        return target
    village = getattr(target, "village", None)
    if isinstance(village, Village):
        return village
    return None


def can(user, action: Action | str, target=None) -> bool:
    """May `user` do `action` on `target` (a village, or anything with a `.village`)?

    With no target: does the user hold the action in at least one village.
    """
    action = str(action)
    if user is SYSTEM:
        return True
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    roles = roles_of(user)
    if target is None:
        if action not in roles.anywhere:
            # A village role that grants the action answers without a query (its village
            # exists); a township role needs one (a township may have no village yet).
            granted = any(
                action in VILLAGE_GRANTS[name]
                for names in roles.village_roles.values()
                for name in names
            )
            roles.anywhere[action] = granted or visible_villages(user, action).exists()
        return roles.anywhere[action]
    if action == A.VIEW_HOUSEHOLD and isinstance(target, Household):
        if target.pk in (roles.household_id, roles.proxy_household_id):
            return True
        action = A.VIEW_ROSTER
    village = _village_of(target)
    if village is None:
        return False
    return action in roles.actions_in(village.pk, village.township_id)


def require(user, action: Action | str, target=None) -> None:
    if not can(user, action, target):
        raise PermissionDenied(_("您没有权限执行此操作。"))


def visible_villages(user, action: Action | str = A.VIEW_VILLAGE) -> QuerySet[Village]:
    """Villages where `user` may do `action`."""
    action = str(action)
    qs = Village.objects.select_related("township")
    if user is SYSTEM:
        return qs
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return qs.none()
    if user.is_superuser:
        return qs
    roles = roles_of(user)
    village_ids = [
        vid
        for vid, names in roles.village_roles.items()
        if any(action in VILLAGE_GRANTS[n] for n in names)
    ]
    township_ids = [
        tid
        for tid, names in roles.township_roles.items()
        if any(action in TOWNSHIP_GRANTS[n] for n in names)
    ]
    return qs.filter(Q(pk__in=village_ids) | Q(township_id__in=township_ids))


def scope(user, action: Action | str, queryset: QuerySet, village_field: str = "village"):
    """Restrict `queryset` to rows of villages where `user` may do `action`."""
    if user is SYSTEM or (getattr(user, "is_superuser", False) and user.is_active):
        return queryset
    ids = list(visible_villages(user, action).values_list("pk", flat=True))
    return queryset.filter(**{f"{village_field}__in": ids})


def may_see_id_numbers(user, village) -> bool:
    return can(user, A.VIEW_ID_NUMBER, village)


def id_number_for(user, villager: Villager) -> str:
    """The ID number as this user may see it: whole for the village's staff, masked otherwise."""
    if may_see_id_numbers(user, villager.village):
        return villager.id_number
    return villager.masked_id_number
