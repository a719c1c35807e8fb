"""The ledger's primitives (accounts, idempotency keys, posting: the one place balances
change), corrections by reversal, and the base points of each year."""

import secrets
from collections import defaultdict
from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from simple_history.utils import bulk_create_with_history

from village import audit, permissions
from village.models import Household, HouseholdStatus, Village
from village.permissions import user_of

from ..models import (
    Account,
    Entry,
    EntryKind,
    EntryStatus,
)
from ..permissions import PointsAction

RECEIPT_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def stored(text: str) -> str:
    """Text saved in the ledger stays in Chinese whatever language the request had (the
    msgid is the Chinese text; marked for makemessages so the screens can show it translated)."""
    return gettext_noop(text)


def new_receipt(*, prefix: str) -> str:
    """A receipt number for the counter: `prefix` and ten unambiguous characters."""
    return prefix + "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(10))


def clean_key(*, key: str | None) -> str:
    """An idempotency key as sent (stripped, at most 80 characters), or a fresh one."""
    key = (key or "").strip()
    if not key:
        return "auto-" + secrets.token_hex(16)
    if len(key) > 80:
        raise ValidationError(_("幂等键不能超过 80 个字符。"), code="invalid_key")
    return key


def account_for(*, household: Household) -> Account:
    """The household's account, created on first use."""
    account = Account.objects.filter(household=household, villager__isnull=True).first()
    if account is not None:
        return account
    try:
        with transaction.atomic():
            return Account.objects.create(village_id=household.village_id, household=household)
    except IntegrityError:
        return Account.objects.get(household=household, villager__isnull=True)


def entry_by_key(*, key: str) -> Entry | None:
    """The entry already written under idempotency key `key`, if any."""
    return Entry.objects.filter(idempotency_key=key).first()


def accounts_lock(*, account_ids) -> dict[int, Account]:
    """Lock accounts in ascending id order, so two postings never wait on each other in a
    cycle."""
    return {
        a.pk: a
        for a in Account.objects.select_for_update().filter(pk__in=set(account_ids)).order_by("pk")
    }


def account_lock(*, household: Household) -> Account:
    """The household's account, created on first use, locked for this transaction (one query
    when it exists: the lock is the read)."""
    # Ordered by pk: the model's ordering would join (and so lock) the village and household.
    locked = (
        Account.objects.select_for_update()
        .filter(household=household, villager__isnull=True)
        .order_by("pk")
    )
    account = locked.first()
    if account is None:
        account = locked.get(pk=account_for(household=household).pk)
    return account


def entries_post(
    *, entries: list[Entry], actor, now=None, locked: dict[int, Account] | None = None
) -> None:
    """Post entries (already locked, none posted): balances move by their points in the same
    transaction. Must run inside transaction.atomic(). `locked`: the accounts the caller has
    already locked (accounts_lock), so they are not read twice.

    The cost does not depend on an account's history: the balance read here is the one locked,
    and PostgreSQL checks it at commit against its own running total (migration 0005)."""
    now = now or timezone.now()
    wanted = {e.account_id for e in entries}
    accounts = locked if locked is not None and wanted <= locked.keys() else None
    accounts = accounts or accounts_lock(account_ids=wanted)
    delta: dict[int, int] = defaultdict(int)
    for entry in sorted(entries, key=lambda e: (e.account_id, e.pk or 0)):
        balance = accounts[entry.account_id].balance + delta[entry.account_id]
        if balance + entry.points < 0:
            if entry.kind in (EntryKind.REDEMPTION, EntryKind.REVERSAL):
                raise ValidationError(
                    _("%(h)s 户可用积分 %(b)s 分，不足 %(p)s 分。")
                    % {"h": entry.account.household.number, "b": balance, "p": -entry.points},
                    code="insufficient",
                )
            # A deduction larger than what is left takes the balance to zero, and says so.
            entry.reason = (
                entry.reason + stored("（可用积分仅 %(b)s 分，按 %(b)s 分扣减）") % {"b": balance}
            )[:300]
            entry.points = -balance
        delta[entry.account_id] += entry.points
        entry.status = EntryStatus.POSTED
        entry.posted_at = now
    for account_id, change in delta.items():
        if change:
            Account.objects.filter(pk=account_id).update(balance=F("balance") + change)


@transaction.atomic
def entry_reverse(
    *, actor, entry: Entry, reason: str, idempotency_key: str | None = None, recusal: str = ""
):
    """A posted entry is corrected by a reversal entry of the opposite points, posted at once.
    The secretary's own household's entry (回避) needs a stated reason, kept and flagged."""
    permissions.require(actor, PointsAction.REVERSE, entry.village)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请写明冲正原因。")})
    key = clean_key(key=idempotency_key or f"reverse-{entry.pk}")
    existing = entry_by_key(key=key)
    if existing is not None:
        if existing.reverses_id != entry.pk:
            raise ValidationError(_("该幂等键已用于另一笔积分。"), code="key_conflict")
        return existing
    original = (
        Entry.objects.select_for_update().select_related("account__household").get(pk=entry.pk)
    )
    recusal = recusal_for(actor, original.account.household, recusal)
    if original.status != EntryStatus.POSTED:
        raise ValidationError(_("只有已入账的积分可以冲正。"), code="not_posted")
    if original.kind not in (EntryKind.CONDUCT, EntryKind.OPENING):
        raise ValidationError(_("这一类分录不能冲正。"), code="kind")
    if Entry.objects.filter(reverses=original).exists():
        raise ValidationError(_("这笔积分已经冲正过了。"), code="reversed")
    today = timezone.localdate()
    reversal = Entry(
        idempotency_key=key,
        account_id=original.account_id,
        village_id=original.village_id,
        kind=EntryKind.REVERSAL,
        rule=original.rule,
        points=-original.points,
        year=original.year,
        occurred_on=today,
        reason=stored("冲正：%(reason)s") % {"reason": reason},
        status=EntryStatus.POSTED,
        recorded_by=user_of(actor),
        reverses=original,
        recusal_note=recusal,
    )
    reversal.account = Account.objects.select_related("household").get(pk=original.account_id)
    entries_post(entries=[reversal], actor=actor)
    try:
        with transaction.atomic():
            reversal.save()
    except IntegrityError as exc:
        raise ValidationError(_("这笔积分已经冲正过了。"), code="reversed") from exc
    audit.record(
        actor=actor,
        action="points.entry.reverse",
        obj=reversal,
        village=original.village,
        payload={
            "reverses": original.pk,
            "points": reversal.points,
            "reason": reason,
            **({"recusal": recusal} if recusal else {}),
        },
    )
    return reversal


@transaction.atomic
def year_open(*, actor, village: Village, year: int) -> int:
    """Give every household in the register its base points for `year` (and, where the rule
    set resets, first bring last year's balance to zero). Idempotent per account and year."""
    permissions.require(actor, PointsAction.WELFARE_MANAGE, village)
    if year > timezone.localdate().year:
        raise ValidationError(_("只能开启今年或以前的积分年度。"), code="future")
    latest = (
        Entry.objects.filter(village=village, kind=EntryKind.OPENING)
        .order_by("-year")
        .values_list("year", flat=True)
        .first()
    )
    if latest is not None and year < latest:
        raise ValidationError(
            _("%(year)s年度已开启，不能再开启更早的年度。") % {"year": latest}, code="past"
        )
    rules = village.rules
    households = list(
        Household.objects.filter(village=village, status=HouseholdStatus.ACTIVE).order_by("pk")
    )
    for household in households:
        account_for(household=household)
    opened = 0
    accounts = list(
        Account.objects.select_for_update()
        .filter(village=village, villager__isnull=True, household__status="active")
        .select_related("household")
        .order_by("pk")
    )
    done = set(
        Entry.objects.filter(account__in=accounts, kind=EntryKind.OPENING, year=year).values_list(
            "account_id", flat=True
        )
    )
    new = []
    day = date(year, 1, 1)
    for account in accounts:
        if account.pk in done:
            continue
        if rules.points_carry_over == "reset" and account.balance > 0:
            new.append(
                Entry(
                    idempotency_key=f"reset-{account.pk}-{year}",
                    account=account,
                    village=village,
                    kind=EntryKind.RESET,
                    points=-account.balance,
                    year=year,
                    occurred_on=day,
                    reason=stored("%(year)s年度积分清零") % {"year": year - 1},
                    status=EntryStatus.POSTED,
                    recorded_by=user_of(actor),
                )
            )
        new.append(
            Entry(
                idempotency_key=f"opening-{account.pk}-{year}",
                account=account,
                village=village,
                kind=EntryKind.OPENING,
                points=rules.points_base,
                year=year,
                occurred_on=day,
                reason=stored("%(year)s年度基础分") % {"year": year},
                status=EntryStatus.POSTED,
                recorded_by=user_of(actor),
            )
        )
        opened += 1
    if not new:
        return 0
    entries_post(entries=new, actor=actor)
    bulk_create_with_history(new, Entry, default_user=user_of(actor))
    audit.record(
        actor=actor,
        action="points.year.open",
        obj=village,
        village=village,
        payload={"year": year, "accounts": opened, "base": rules.points_base},
    )
    return opened


def recusal_for(actor, household: Household, text: str) -> str | None:
    """回避, for a recording and for a reversal: the acting cadre's own household (the
    roster's household: spouse, parents, children, siblings living together) needs a stated
    reason; anyone else's needs none."""
    own = permissions.villager_of(actor)
    text = (text or "").strip()
    if own is None or own.household_id != household.pk:
        return None
    if not text:
        raise ValidationError(
            {
                "recusal": _(
                    "回避：这是您本户的积分，应由其他干部登记。确需本人登记的，请写明回避说明"
                    "（乡镇巡查可见）。"
                )
            },
            code="recusal",
        )
    if len(text) > 300:
        raise ValidationError({"recusal": _("回避说明不能超过 300 字。")})
    return text
