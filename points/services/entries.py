"""Recording (grid officer, cadre), claiming (villager) and reviewing entries."""

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_update_with_history

from village import audit, officers, permissions
from village.models import Household, HouseholdStatus
from village.permissions import user_of
from village.uploads import validate_image_upload

from .. import selectors
from ..models import (
    Entry,
    EntryKind,
    EntryStatus,
    Rule,
)
from ..permissions import PointsAction
from .ledger import account_lock, clean_key, entry_by_key, recusal_for

# The idempotency keys of entries proposed by other events (entry_propose) begin so; a client's
# key may not.
PROPOSAL_KEYS = "propose:"


def _validate_entry(household, rule, occurred_on, photo, *, account, exclude_pk=None):
    today = timezone.localdate()
    errors = {}
    if household.status != HouseholdStatus.ACTIVE:
        errors["household"] = _("该户已不在册，不能记分。")
    if occurred_on > today:
        errors["occurred_on"] = _("发生日期不能晚于今天。")
    elif occurred_on.year < today.year - 1:
        errors["occurred_on"] = _("只能登记今年或去年的事项。")
    catalogue = selectors.catalogue_on(household.village, occurred_on)
    if rule.catalogue.village_id != household.village_id:
        errors["rule"] = _("该规则不属于本村。")
    elif catalogue is None or rule.catalogue_id != catalogue.pk:
        errors["rule"] = _("该规则在发生日期不适用（细则版本不同）。")
    if rule.evidence_required and not photo:
        errors["photo"] = _("该项须附照片。")
    if photo:
        try:
            validate_image_upload(photo)
        except ValidationError as exc:
            errors["photo"] = exc.messages[0]
    if not errors and rule.cap_per_period:
        used = (
            Entry.objects.filter(
                account=account, kind=EntryKind.CONDUCT, rule__code=rule.code, year=occurred_on.year
            )
            .exclude(status__in=[EntryStatus.REJECTED, EntryStatus.VOIDED])
            .exclude(reversed_by__isnull=False)
            .count()
        )
        if used >= rule.cap_per_period:
            errors["rule"] = _("该项每年最多计 %(n)s 次，本户今年已计 %(used)s 次。") % {
                "n": rule.cap_per_period,
                "used": used,
            }
    if errors:
        raise ValidationError(errors)


def _create_entry(*, key: str, **fields) -> tuple[Entry, bool]:
    """Insert once per idempotency key (the caller looked it up under the account's lock); a
    copy committed meanwhile under another account's lock is returned unchanged."""
    try:
        with transaction.atomic():
            return Entry.objects.create(idempotency_key=key, **fields), True
    except IntegrityError:
        existing = entry_by_key(key=key)
        if existing is None:
            raise
        return existing, False


def _same_request(entry: Entry, household: Household, rule: Rule | None) -> None:
    if entry.account.household_id != household.pk or (rule and entry.rule_id != rule.pk):
        raise ValidationError(
            _("该幂等键已用于另一笔积分，请刷新页面后重新提交。"), code="key_conflict"
        )


@transaction.atomic
def entry_record(
    *,
    actor,
    household: Household,
    rule: Rule,
    occurred_on: date | None = None,
    reason: str = "",
    photo=None,
    idempotency_key: str | None = None,
    claimed: bool = False,
    recusal: str = "",
    offline_at=None,
) -> Entry:
    """A grid officer or cadre records a rule for a household (or a villager claims one for
    their own household with `claimed=True`). The same key twice records once. A cadre's own
    household (回避) is refused unless `recusal` says why nobody else could record it; the entry
    then carries it and the inspector sees it."""
    occurred_on = occurred_on or timezone.localdate()
    key = clean_key(key=idempotency_key)
    if key.startswith(PROPOSAL_KEYS):
        # Reserved for proposals: nobody takes a neighbour's proposal's key before it is made.
        raise ValidationError({"idempotency_key": _("该幂等键为系统保留，请换一个。")})
    if claimed:
        permissions.require(actor, PointsAction.CLAIM, household.village)
        villager = permissions.villager_of(actor)
        if villager is None or villager.household_id != household.pk:
            raise PermissionDenied(_("只能为自己家申报积分。"))
        if rule.points < 0:
            raise ValidationError({"rule": _("村民只能申报加分项。")})
    else:
        permissions.require(actor, PointsAction.RECORD, household.village)
        if not officers.may_act_for(actor, household):
            raise PermissionDenied(_("网格员只能为本网格的户记分。"))
    recusal = recusal_for(actor, household, recusal) if not claimed else None
    return _record(
        actor=actor,
        household=household,
        rule=rule,
        occurred_on=occurred_on,
        reason=reason,
        photo=photo,
        key=key,
        sent_key=bool((idempotency_key or "").strip()),
        status=EntryStatus.CLAIMED if claimed else EntryStatus.RECORDED,
        action="points.entry.claim" if claimed else "points.entry.record",
        extra={"recusal_note": recusal, "offline_at": offline_at},
    )


@transaction.atomic
def entry_propose(
    *,
    actor,
    household: Household,
    rule: Rule,
    occurred_on: date,
    reason: str,
    source: str,
    idempotency_key: str,
) -> Entry:
    """A recorded entry proposed by an event of another kind (a volunteer's hours, a meeting
    attended, an adopted 说事, a handled grid event): it waits for the committee's review like
    any recorded entry and is never posted without it. `source` tells the villager where the
    proposal came from. The calling service has checked its own actor's permission; the same
    key twice proposes once."""
    source = (source or "").strip()[:200]
    if not source:
        raise ValidationError({"source": _("须说明积分建议的来源。")})
    # 回避: proposed by a cadre for their own household, the entry says so for the inspector.
    recusal = recusal_for(
        actor, household, _("本户的积分建议，由建议人按“%(s)s”生成") % {"s": source}
    )
    return _record(
        actor=actor,
        household=household,
        rule=rule,
        occurred_on=occurred_on,
        reason=reason,
        photo=None,
        key=clean_key(key=PROPOSAL_KEYS + idempotency_key),
        sent_key=True,
        status=EntryStatus.RECORDED,
        action="points.entry.propose",
        extra={"source": source, "recusal_note": recusal},
    )


def _record(
    *, actor, household, rule, occurred_on, reason, photo, key, sent_key, status, action, extra
):
    extra = {name: value for name, value in extra.items() if value}
    reason = (reason or "").strip()
    if len(reason) > 300:
        raise ValidationError({"reason": _("说明不能超过 300 字。")})
    # Serialise recordings for one account so the cap per year holds under concurrency.
    account = account_lock(household=household)
    # The same request sent again, or a copy that held the lock before us, recorded it
    # already: answer with its entry rather than count it against the cap. A key made here for
    # a request that sent none is new.
    existing = entry_by_key(key=key) if sent_key else None
    if existing is not None:
        _same_request(existing, household, rule)
        return existing
    _validate_entry(household, rule, occurred_on, photo, account=account)
    entry, created = _create_entry(
        key=key,
        account=account,
        village_id=household.village_id,
        kind=EntryKind.CONDUCT,
        rule=rule,
        points=rule.points,
        year=occurred_on.year,
        occurred_on=occurred_on,
        reason=reason or rule.text,
        photo=photo or "",
        status=status,
        recorded_by=user_of(actor),
        **extra,
    )
    if not created:
        _same_request(entry, household, rule)
        return entry
    audit.record(
        actor=actor,
        action=action,
        obj=entry,
        village=household.village,
        payload={
            "household": household.number,
            "rule": rule.code,
            "points": rule.points,
            "occurred_on": occurred_on,
            "photo": bool(photo),
            **({"recusal": extra["recusal_note"]} if "recusal_note" in extra else {}),
            **({"source": extra["source"]} if "source" in extra else {}),
            **({"offline_at": extra["offline_at"]} if "offline_at" in extra else {}),
        },
    )
    return entry


def entry_claim(*, actor, rule: Rule, occurred_on=None, reason="", photo=None, key=None) -> Entry:
    villager = permissions.villager_of(actor)
    if villager is None or villager.household is None:
        raise PermissionDenied(_("只有本村在册村民可以申报积分。"))
    return entry_record(
        actor=actor,
        household=villager.household,
        rule=rule,
        occurred_on=occurred_on,
        reason=reason,
        photo=photo,
        idempotency_key=key,
        claimed=True,
    )


@transaction.atomic
def entries_review(*, actor, entries, approve: bool, note: str = "") -> list[Entry]:
    """Approve or reject recorded/claimed entries of one village. Nobody reviews an entry they
    recorded themselves; a rejection needs a reason."""
    ids = sorted({e.pk if isinstance(e, Entry) else int(e) for e in entries})
    if not ids:
        raise ValidationError(_("请至少选择一条记录。"))
    note = (note or "").strip()
    if not approve and not note:
        raise ValidationError(_("退回时请写明原因。"))
    rows = list(
        Entry.objects.select_for_update(of=("self",))
        .filter(pk__in=ids)
        .select_related("account__household", "village")
        .order_by("pk")
    )
    if len(rows) != len(ids):
        raise ValidationError(_("有记录不存在。"))
    villages = {r.village_id for r in rows}
    if len(villages) != 1:
        raise ValidationError(_("一次只能审核同一个村的记录。"))
    village = rows[0].village
    permissions.require(actor, PointsAction.REVIEW, village)
    reviewer = permissions.villager_of(actor)
    problems = _review_problems(rows, actor, reviewer)
    if problems:
        raise ValidationError(problems)
    now = timezone.now()
    for r in rows:
        r.status = EntryStatus.REVIEWED if approve else EntryStatus.REJECTED
        r.reviewed_by = user_of(actor)
        r.reviewed_at = now
        r.review_note = note[:200]
    bulk_update_with_history(
        rows,
        Entry,
        ["status", "reviewed_by", "reviewed_at", "review_note"],
        default_user=user_of(actor),
    )
    audit.record_many(
        actor=actor,
        village=village,
        events=[
            audit.Event(
                "points.entry.review" if approve else "points.entry.reject",
                r,
                {"household": r.account.household.number, "points": r.points, "note": note},
            )
            for r in rows
        ],
    )
    return rows


def _review_problems(rows, actor, reviewer) -> list[str]:
    """Why some of `rows` cannot be reviewed by `actor`: a state past review, their own
    recording, or their own household (回避)."""
    problems = []
    for r in rows:
        if r.status not in (EntryStatus.RECORDED, EntryStatus.CLAIMED):
            problems.append(
                _("%(h)s：状态为「%(s)s」，不能再审核。")
                % {"h": r.account.household.number, "s": r.get_status_display()}
            )
        elif actor.pk is not None and r.recorded_by_id == actor.pk:
            problems.append(
                _("%(h)s：不能审核自己登记的记录。") % {"h": r.account.household.number}
            )
        elif reviewer is not None and reviewer.household_id == r.account.household_id:
            problems.append(
                _("%(h)s：回避，本户的积分须由其他干部审核。") % {"h": r.account.household.number}
            )
    return problems
