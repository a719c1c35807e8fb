"""Every write of the points ledger. Each service checks the permission and the guard,
validates, locks what it changes (accounts always in ascending id order), writes, and records
the event in the village's audit chain.

Lifecycle: entry_record (grid officer) / entry_claim (villager) → entries_review (committee)
→ publication_create (monthly list, objection window) → objection_file / objection_answer →
publication_close (posts what has no open objection) → posted. Corrections: entry_reverse.
Welfare: redeem (store counter), year_open (base points), star_round_rate / _publish /
star_rating_revoke, allocation_create / allocation_publish.
"""

import hashlib
import json
import secrets
from collections import defaultdict
from datetime import date, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from village import audit, permissions
from village.extensions import resolutions
from village.models import Household, HouseholdStatus, Membership, Village, Villager, VillagerStatus
from village.uploads import validate_image_upload

from .allocation import allocate
from .models import (
    SCORE_KINDS,
    Account,
    Allocation,
    Catalogue,
    Category,
    Entry,
    EntryKind,
    EntryStatus,
    Objection,
    ObjectionStatus,
    Publication,
    Redemption,
    Rule,
    Share,
    StarRating,
    StarRound,
    StoreItem,
)

VIEW = "points.view"
RECORD = "points.record"
CLAIM = "points.claim"
REVIEW = "points.review"
PUBLISH = "points.publish"
OBJECT = "points.object"
ANSWER = "points.answer"
REVERSE = "points.reverse"
SERVE = "store.serve"
STOCK = "store.manage"
WELFARE = "welfare.manage"
DRAFT = "points.catalogue.draft"
# The roles that record for the whole village; a grid officer without one of them records only
# for the households of their grid (selectors.households_to_record offers the same ones).
WHOLE_VILLAGE_RECORDERS = frozenset({"secretary", "branch_committee", "village_committee"})

RECEIPT_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def stored(text: str) -> str:
    """Text saved in the ledger stays in Chinese whatever language the request had (the
    msgid is the Chinese text; marked for makemessages so the screens can show it translated)."""
    return gettext_noop(text)


MAX_STARS = 5


def _require(actor, action, target):
    if actor is not None:
        permissions.require(actor, action, target)


def _receipt(prefix: str) -> str:
    return prefix + "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(10))


def _clean_key(key: str | None) -> str:
    key = (key or "").strip()
    if not key:
        return "auto-" + secrets.token_hex(16)
    if len(key) > 80:
        raise ValidationError(_("幂等键不能超过 80 个字符。"), code="invalid_key")
    return key


# --- accounts and catalogue ------------------------------------------------------------------


def account_for(household: Household) -> Account:
    account = Account.objects.filter(household=household, villager__isnull=True).first()
    if account is not None:
        return account
    try:
        with transaction.atomic():
            return Account.objects.create(village_id=household.village_id, household=household)
    except IntegrityError:
        return Account.objects.get(household=household, villager__isnull=True)


def catalogue_on(village: Village, day: date) -> Catalogue | None:
    """The adopted catalogue in effect on `day` (drafts never apply)."""
    return (
        Catalogue.objects.filter(village=village, effective_from__lte=day, adopted_at__isnull=False)
        .order_by("-effective_from", "-version")
        .first()
    )


# --- new catalogue versions ------------------------------------------------------------------
#
# A new version is drafted from the newest adopted one (its rules copied), edited while a draft,
# and adopted by naming the published resolution that passed it (DESIGN.md: "a new catalogue
# takes effect from the resolution of the matter that adopted it"). From then on its rules never
# change (Rule.save refuses), and entries on or after its effective date cite its rules.

RULE_FIELDS = ("code", "text", "points", "cap_per_period", "evidence_required", "article")


def _rule_facts(rule: Rule) -> dict:
    return {"category": rule.category.name, **{f: getattr(rule, f) for f in RULE_FIELDS}}


def rules_fingerprint(catalogue: Catalogue) -> str:
    """SHA-256 of the catalogue's rules in canonical form (recorded when it is adopted)."""
    rules = catalogue.rules.select_related("category").order_by("code")
    text = json.dumps(
        [_rule_facts(r) for r in rules], ensure_ascii=False, sort_keys=True, separators=(",", ":")
    )
    return hashlib.sha256(text.encode()).hexdigest()


def _draft(catalogue: Catalogue) -> Catalogue:
    catalogue = Catalogue.objects.select_for_update().get(pk=catalogue.pk)
    if not catalogue.is_draft:
        raise ValidationError(_("已通过的积分细则不能修改，请起草新版本。"), code="adopted")
    return catalogue


@transaction.atomic
def catalogue_draft(*, actor, village: Village, title: str = "") -> Catalogue:
    """A new draft version, its rules copied from the newest adopted catalogue."""
    _require(actor, DRAFT, village)
    Village.objects.select_for_update().filter(pk=village.pk).first()  # one draft at a time
    if Catalogue.objects.filter(village=village, adopted_at__isnull=True).exists():
        raise ValidationError(_("本村已有一份积分细则草案，请先修改或通过它。"), code="exists")
    base = (
        Catalogue.objects.filter(village=village, adopted_at__isnull=False)
        .order_by("-effective_from", "-version")
        .first()
    )
    title = (title or "").strip() or (base.title if base else _("积分制管理细则"))
    last = Catalogue.objects.filter(village=village).order_by("-version").first()
    draft = Catalogue(
        village=village,
        version=(last.version if last else 0) + 1,
        title=title[:100],
        effective_from=timezone.localdate(),  # set for real when adopted
    )
    draft._history_user = actor
    draft.save()
    copied = []
    for rule in base.rules.all() if base else []:
        copy = Rule(catalogue=draft, **{f: getattr(rule, f) for f in ("category_id", *RULE_FIELDS)})
        copy._history_user = actor
        copy.save()
        copied.append(rule.code)
    audit.record(
        actor=actor,
        action="points.catalogue.draft",
        obj=draft,
        village=village,
        payload={
            "version": draft.version,
            "title": draft.title,
            "based_on": base.version if base else None,
            "rules": len(copied),
        },
    )
    return draft


@transaction.atomic
def catalogue_rule_save(
    *, actor, catalogue: Catalogue, data: dict, rule: Rule | None = None
) -> Rule:
    """Add a rule to a draft, or change one of its rules. `data`: the RULE_FIELDS and either
    `category` (an existing category of the village, by id) or `new_category` (a name)."""
    _require(actor, DRAFT, catalogue.village)
    catalogue = _draft(catalogue)
    if rule is not None and rule.catalogue_id != catalogue.pk:
        raise ValidationError(_("该规则不属于这份草案。"), code="foreign")
    before = _rule_facts(rule) if rule is not None else None
    rule = rule or Rule(catalogue=catalogue)
    new_category = (data.get("new_category") or "").strip()
    if new_category:
        category = Category.objects.filter(village=catalogue.village, name=new_category).first()
        if category is None:
            last = Category.objects.filter(village=catalogue.village).order_by("-order").first()
            category = Category(
                village=catalogue.village,
                name=new_category[:40],
                order=(last.order if last else 0) + 1,
            )
            category._history_user = actor
            category.full_clean()
            category.save()
    else:
        category = Category.objects.filter(
            village=catalogue.village, pk=data.get("category") or None
        ).first()
        if category is None:
            raise ValidationError({"category": _("请选择类别或填写新类别。")})
    rule.category = category
    for name in RULE_FIELDS:
        if name in data:
            setattr(rule, name, data[name])
    rule.code = (rule.code or "").strip().upper()
    rule.text = (rule.text or "").strip()
    rule.article = (rule.article or "").strip()
    if rule.points == 0:
        raise ValidationError({"points": _("分值不能为 0。")})
    rule.full_clean()
    rule._history_user = actor
    rule.save()
    audit.record(
        actor=actor,
        action="points.catalogue.rule",
        obj=catalogue,
        village=catalogue.village,
        payload={"version": catalogue.version, "before": before, "after": _rule_facts(rule)},
    )
    return rule


@transaction.atomic
def catalogue_rule_remove(*, actor, rule: Rule) -> None:
    """Take a rule out of a draft (no entry can cite a draft's rule)."""
    catalogue = rule.catalogue
    _require(actor, DRAFT, catalogue.village)
    catalogue = _draft(catalogue)
    facts = _rule_facts(rule)
    rule._history_user = actor
    rule.delete()
    audit.record(
        actor=actor,
        action="points.catalogue.rule",
        obj=catalogue,
        village=catalogue.village,
        payload={"version": catalogue.version, "before": facts, "after": None},
    )


@transaction.atomic
def catalogue_adopt(
    *, actor, catalogue: Catalogue, resolution: int, effective_from: date
) -> Catalogue:
    """Adopt a draft by the published resolution that passed it, in effect from a day no
    earlier than that resolution, today, or the start of any catalogue already adopted."""
    village = catalogue.village
    _require(actor, DRAFT, village)
    catalogue = _draft(catalogue)
    passed = {r.ref: r for r in resolutions(village)}.get(resolution)
    if passed is None:
        raise ValidationError(
            {"resolution": _("请选择本村已公开的决议（通过该细则的村民会议或代表会议决议）。")}
        )
    if not catalogue.rules.exists():
        raise ValidationError(_("草案还没有规则。"), code="empty")
    earliest = max(timezone.localdate(), passed.published_on)
    latest = (
        Catalogue.objects.filter(village=village, adopted_at__isnull=False)
        .order_by("-effective_from")
        .values_list("effective_from", flat=True)
        .first()
    )
    if latest is not None and latest >= earliest:
        earliest = latest + timedelta(days=1)
    if effective_from < earliest:
        raise ValidationError(
            {
                "effective_from": _(
                    "生效日期不能早于 %(day)s（决议公开之日、今天，或现行细则的生效日期之后）。"
                )
                % {"day": earliest.isoformat()}
            }
        )
    catalogue.effective_from = effective_from
    catalogue.adopted_matter = passed.ref
    catalogue.adopted_by = (
        _("%(title)s（%(day)s 公开的决议）")
        % {"title": passed.title, "day": passed.published_on.isoformat()}
    )[:200]
    catalogue.adopted_at = timezone.now()
    catalogue._history_user = actor
    catalogue.save()
    audit.record(
        actor=actor,
        action="points.catalogue.adopt",
        obj=catalogue,
        village=village,
        payload={
            "version": catalogue.version,
            "effective_from": effective_from,
            "resolution": passed.ref,
            "rules": catalogue.rules.count(),
            "rules_sha256": rules_fingerprint(catalogue),
        },
    )
    return catalogue


def rules_on(village: Village, day: date):
    catalogue = catalogue_on(village, day)
    if catalogue is None:
        return Rule.objects.none()
    return catalogue.rules.select_related("category").order_by("category__order", "code")


def _in_officers_grid(actor, household: Household) -> bool:
    """A grid officer who holds no committee role records only for the households of their
    grid; cadres record for the whole village."""
    today = timezone.localdate()
    roles = permissions.roles_of(actor).village_roles.get(household.village_id, set())
    if actor.is_superuser or roles & WHOLE_VILLAGE_RECORDERS:
        return True
    grids = set(
        Membership.objects.valid_on(today)
        .filter(villager__user=actor, role="grid_officer", village_id=household.village_id)
        .values_list("grid_id", flat=True)
    )
    area = household.area
    return area.pk in grids or area.parent_id in grids


# --- recording and claiming ------------------------------------------------------------------


def _existing(key: str) -> Entry | None:
    return Entry.objects.filter(idempotency_key=key).first()


def _validate_entry(household, rule, occurred_on, photo, *, account, exclude_pk=None):
    today = timezone.localdate()
    errors = {}
    if household.status != HouseholdStatus.ACTIVE:
        errors["household"] = _("该户已不在册，不能记分。")
    if occurred_on > today:
        errors["occurred_on"] = _("发生日期不能晚于今天。")
    elif occurred_on.year < today.year - 1:
        errors["occurred_on"] = _("只能登记今年或去年的事项。")
    catalogue = catalogue_on(household.village, occurred_on)
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
    """Insert once per idempotency key; a repeat returns the first entry unchanged."""
    existing = _existing(key)
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            return Entry.objects.create(idempotency_key=key, **fields), True
    except IntegrityError:
        existing = _existing(key)
        if existing is None:
            raise
        return existing, False


def _same_request(entry: Entry, household: Household, rule: Rule | None) -> None:
    if entry.account.household_id != household.pk or (rule and entry.rule_id != rule.pk):
        raise ValidationError(
            _("该幂等键已用于另一笔积分，请刷新页面后重新提交。"), code="key_conflict"
        )


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
) -> Entry:
    """A grid officer or cadre records a rule for a household (or a villager claims one for
    their own household with `claimed=True`). The same key twice records once."""
    occurred_on = occurred_on or timezone.localdate()
    key = _clean_key(idempotency_key)
    if claimed:
        _require(actor, CLAIM, household.village)
        villager = Villager.objects.filter(user=actor).first()
        if villager is None or villager.household_id != household.pk:
            raise PermissionDenied(_("只能为自己家申报积分。"))
        if rule.points < 0:
            raise ValidationError({"rule": _("村民只能申报加分项。")})
    else:
        _require(actor, RECORD, household.village)
        if actor is not None and not _in_officers_grid(actor, household):
            raise PermissionDenied(_("网格员只能为本网格的户记分。"))
    existing = _existing(key)
    if existing is not None:
        _same_request(existing, household, rule)
        return existing
    reason = (reason or "").strip()
    if len(reason) > 300:
        raise ValidationError({"reason": _("说明不能超过 300 字。")})
    with transaction.atomic():
        account = account_for(household)
        # Serialise recordings for one account so the cap per year holds under concurrency.
        account = Account.objects.select_for_update().get(pk=account.pk)
        # A copy of this request that held the lock before us may have recorded it already:
        # answer with its entry rather than count it against the cap.
        existing = _existing(key)
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
            status=EntryStatus.CLAIMED if claimed else EntryStatus.RECORDED,
            recorded_by=actor,
        )
        if not created:
            _same_request(entry, household, rule)
            return entry
        audit.record(
            actor=actor,
            action="points.entry.claim" if claimed else "points.entry.record",
            obj=entry,
            village=household.village,
            payload={
                "household": household.number,
                "rule": rule.code,
                "points": rule.points,
                "occurred_on": occurred_on,
                "photo": bool(photo),
            },
        )
    return entry


def entry_claim(*, actor, rule: Rule, occurred_on=None, reason="", photo=None, key=None) -> Entry:
    villager = Villager.objects.filter(user=actor).select_related("household__village").first()
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


# --- review ------------------------------------------------------------------------------------


def entries_review(*, actor, entries, approve: bool, note: str = "") -> list[Entry]:
    """Approve or reject recorded/claimed entries of one village. Nobody reviews an entry they
    recorded themselves; a rejection needs a reason."""
    ids = sorted({e.pk if isinstance(e, Entry) else int(e) for e in entries})
    if not ids:
        raise ValidationError(_("请至少选择一条记录。"))
    note = (note or "").strip()
    if not approve and not note:
        raise ValidationError(_("退回时请写明原因。"))
    with transaction.atomic():
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
        _require(actor, REVIEW, village)
        problems = []
        for r in rows:
            if r.status not in (EntryStatus.RECORDED, EntryStatus.CLAIMED):
                problems.append(
                    _("%(h)s：状态为「%(s)s」，不能再审核。")
                    % {"h": r.account.household.number, "s": r.get_status_display()}
                )
            elif actor is not None and r.recorded_by_id == actor.pk:
                problems.append(
                    _("%(h)s：不能审核自己登记的记录。") % {"h": r.account.household.number}
                )
        if problems:
            raise ValidationError(problems)
        now = timezone.now()
        for r in rows:
            r.status = EntryStatus.REVIEWED if approve else EntryStatus.REJECTED
            r.reviewed_by = actor
            r.reviewed_at = now
            r.review_note = note[:200]
        bulk_update_with_history(
            rows,
            Entry,
            ["status", "reviewed_by", "reviewed_at", "review_note"],
            default_user=actor,
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


# --- posting (the one place balances change) --------------------------------------------------


def _lock_accounts(account_ids) -> dict[int, Account]:
    """Lock accounts in ascending id order, so two postings never wait on each other in a
    cycle."""
    return {
        a.pk: a
        for a in Account.objects.select_for_update().filter(pk__in=set(account_ids)).order_by("pk")
    }


def _post(entries: list[Entry], *, actor, now=None) -> None:
    """Post entries (already locked, none posted): balances move by their points in the same
    transaction. Must run inside transaction.atomic()."""
    now = now or timezone.now()
    accounts = _lock_accounts(e.account_id for e in entries)
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


# --- monthly publication, objections, posting ------------------------------------------------


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def publication_create(*, actor, village: Village, month: date) -> Publication:
    """Publish every reviewed, unpublished entry of `month` (and earlier) for objections."""
    _require(actor, PUBLISH, village)
    month = month_start(month)
    today = timezone.localdate()
    if month >= month_start(today):
        raise ValidationError(_("只能公示已经结束的月份。"), code="month_not_over")
    with transaction.atomic():
        Village.objects.select_for_update().filter(pk=village.pk).first()
        rows = list(
            Entry.objects.select_for_update()
            .filter(
                village=village,
                status=EntryStatus.REVIEWED,
                publication__isnull=True,
                occurred_on__lt=next_month(month),
            )
            .order_by("pk")
        )
        if not rows:
            raise ValidationError(_("该月没有待公示的已审核记录。"), code="empty")
        days = village.rules.points_objection_days
        now = timezone.now()
        publication = Publication.objects.create(
            village=village,
            month=month,
            published_at=now,
            published_by=actor,
            objection_ends_at=now + timedelta(days=days),
        )
        for r in rows:
            r.status = EntryStatus.PUBLISHED
            r.publication = publication
        bulk_update_with_history(rows, Entry, ["status", "publication"], default_user=actor)
        audit.record(
            actor=actor,
            action="points.publication.create",
            obj=publication,
            village=village,
            payload={
                "month": f"{month:%Y-%m}",
                "entries": [r.pk for r in rows],
                "total": sum(r.points for r in rows),
                "objection_days": days,
                "objection_ends_at": publication.objection_ends_at,
            },
        )
    return publication


def objection_file(*, actor, entry: Entry, text: str) -> Objection:
    """A villager of the village objects to an entry while its publication is open."""
    _require(actor, OBJECT, entry.village)
    villager = Villager.objects.filter(
        user=actor, village=entry.village, status=VillagerStatus.REGISTERED
    ).first()
    if villager is None:
        raise PermissionDenied(_("只有本村在册村民可以提出异议。"))
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("请写明异议理由。")})
    if len(text) > 1000:
        raise ValidationError({"text": _("异议理由不能超过 1000 字。")})
    with transaction.atomic():
        # of=self: the publication is a nullable (outer) join, which PostgreSQL cannot lock.
        entry = (
            Entry.objects.select_for_update(of=("self",))
            .select_related("publication")
            .get(pk=entry.pk)
        )
        publication = entry.publication
        if entry.status != EntryStatus.PUBLISHED or publication is None:
            raise ValidationError(_("这条积分不在公示中，不能提出异议。"), code="not_published")
        if not publication.is_open:
            raise ValidationError(_("公示期已结束，不能再提出异议。"), code="closed")
        if entry.objections.filter(villager=villager, status=ObjectionStatus.OPEN).exists():
            raise ValidationError(_("您对这条积分的异议还在处理中。"), code="duplicate")
        objection = Objection.objects.create(
            entry=entry, village=entry.village, villager=villager, text=text
        )
        audit.record(
            actor=actor,
            action="points.objection.file",
            obj=objection,
            village=entry.village,
            payload={"entry": entry.pk, "text": text},
        )
    return objection


def objection_answer(*, actor, objection: Objection, upheld: bool, answer: str) -> Objection:
    """The committee answers: upheld voids the entry; rejected lets it post (at once when the
    window has already closed)."""
    _require(actor, ANSWER, objection.village)
    answer = (answer or "").strip()
    if not answer:
        raise ValidationError({"answer": _("请填写答复内容。")})
    with transaction.atomic():
        objection = Objection.objects.select_for_update().get(pk=objection.pk)
        if objection.status != ObjectionStatus.OPEN:
            raise ValidationError(_("该异议已经答复过了。"), code="answered")
        entry = (
            Entry.objects.select_for_update(of=("self",))
            .select_related("publication")
            .get(pk=objection.entry_id)
        )
        now = timezone.now()
        objection.status = ObjectionStatus.UPHELD if upheld else ObjectionStatus.REJECTED
        objection.answer = answer
        objection.answered_by = actor
        objection.answered_at = now
        objection._history_user = actor
        objection.save()
        events = [
            audit.Event(
                "points.objection.answer",
                objection,
                {"entry": entry.pk, "upheld": upheld, "answer": answer},
            )
        ]
        if entry.status == EntryStatus.PUBLISHED:
            if upheld:
                entry.status = EntryStatus.VOIDED
                entry._history_user = actor
                entry.save()
                events.append(audit.Event("points.entry.void", entry, {"objection": objection.pk}))
            elif entry.publication.closed_at is not None and not _has_open_objection(entry):
                _post([entry], actor=actor, now=now)
                entry._history_user = actor
                entry.save()
                events.append(_posted_event(entry))
        audit.record_many(actor=actor, village=objection.village, events=events)
    return objection


def _has_open_objection(entry: Entry) -> bool:
    return entry.objections.filter(status=ObjectionStatus.OPEN).exists()


def _posted_event(entry: Entry) -> "audit.Event":
    return audit.Event(
        "points.entry.post",
        entry,
        {
            "account": entry.account_id,
            "kind": entry.kind,
            "points": entry.points,
            "reverses": entry.reverses_id,
        },
    )


def publication_close(*, actor, publication: Publication) -> list[Entry]:
    """When the objection window has ended: post every entry with no open objection."""
    _require(actor, PUBLISH, publication.village)
    with transaction.atomic():
        publication = Publication.objects.select_for_update().get(pk=publication.pk)
        if publication.closed_at is not None:
            raise ValidationError(_("该公示已经入账。"), code="closed")
        now = timezone.now()
        if now < publication.objection_ends_at:
            raise ValidationError(
                _("异议期到 %(end)s 才结束。")
                % {"end": f"{timezone.localtime(publication.objection_ends_at):%Y-%m-%d %H:%M}"},
                code="window_open",
            )
        rows = list(
            Entry.objects.select_for_update(of=("self",))
            .filter(publication=publication, status=EntryStatus.PUBLISHED)
            .exclude(objections__status=ObjectionStatus.OPEN)
            .select_related("account__household")
            .order_by("pk")
        )
        _post(rows, actor=actor, now=now)
        bulk_update_with_history(
            rows, Entry, ["status", "posted_at", "points", "reason"], default_user=actor
        )
        publication.closed_at = now
        publication._history_user = actor
        publication.save()
        audit.record_many(
            actor=actor,
            village=publication.village,
            events=[
                audit.Event(
                    "points.publication.close",
                    publication,
                    {"posted": len(rows), "total": sum(r.points for r in rows)},
                ),
                *[_posted_event(r) for r in rows],
            ],
        )
    return rows


def publications_due(now=None):
    now = now or timezone.now()
    return Publication.objects.filter(closed_at__isnull=True, objection_ends_at__lte=now)


# --- corrections ---------------------------------------------------------------------------------


def entry_reverse(*, actor, entry: Entry, reason: str, idempotency_key: str | None = None):
    """A posted entry is corrected by a reversal entry of the opposite points, posted at once."""
    _require(actor, REVERSE, entry.village)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请写明冲正原因。")})
    key = _clean_key(idempotency_key or f"reverse-{entry.pk}")
    existing = _existing(key)
    if existing is not None:
        if existing.reverses_id != entry.pk:
            raise ValidationError(_("该幂等键已用于另一笔积分。"), code="key_conflict")
        return existing
    with transaction.atomic():
        original = Entry.objects.select_for_update().get(pk=entry.pk)
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
            recorded_by=actor,
            reverses=original,
        )
        reversal.account = Account.objects.select_related("household").get(pk=original.account_id)
        _post([reversal], actor=actor)
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
            payload={"reverses": original.pk, "points": reversal.points, "reason": reason},
        )
    return reversal


# --- base points each year ---------------------------------------------------------------------


def year_open(*, actor, village: Village, year: int) -> int:
    """Give every household in the register its base points for `year` (and, where the rule
    set resets, first bring last year's balance to zero). Idempotent per account and year."""
    _require(actor, WELFARE, village)
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
        account_for(household)
    opened = 0
    with transaction.atomic():
        accounts = list(
            Account.objects.select_for_update()
            .filter(village=village, villager__isnull=True, household__status="active")
            .select_related("household")
            .order_by("pk")
        )
        done = set(
            Entry.objects.filter(
                account__in=accounts, kind=EntryKind.OPENING, year=year
            ).values_list("account_id", flat=True)
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
                        recorded_by=actor,
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
                    recorded_by=actor,
                )
            )
            opened += 1
        if not new:
            return 0
        _post(new, actor=actor)
        bulk_create_with_history(new, Entry, default_user=actor)
        audit.record(
            actor=actor,
            action="points.year.open",
            obj=village,
            village=village,
            payload={"year": year, "accounts": opened, "base": rules.points_base},
        )
    return opened


# --- the store counter ---------------------------------------------------------------------------


def redeem(
    *,
    actor,
    household: Household,
    item: StoreItem,
    quantity: int = 1,
    idempotency_key: str | None = None,
) -> Redemption:
    """Debit points and stock together; never below zero on either."""
    _require(actor, SERVE, household.village)
    if item.village_id != household.village_id:
        raise ValidationError({"item": _("该物品不属于本村积分超市。")})
    if not isinstance(quantity, int) or quantity < 1 or quantity > 99:
        raise ValidationError({"quantity": _("数量须为 1 到 99 之间的整数。")})
    key = _clean_key(idempotency_key)
    existing = _existing(key)
    if existing is not None:
        redemption = getattr(existing, "redemption", None)
        if redemption is None or redemption.item_id != item.pk:
            raise ValidationError(_("该幂等键已用于另一笔积分。"), code="key_conflict")
        return redemption
    with transaction.atomic():
        account = account_for(household)
        accounts = _lock_accounts([account.pk])
        # The same key sent twice at once: the second waits for the lock, then finds the first.
        existing = _existing(key)
        if existing is not None and hasattr(existing, "redemption"):
            return existing.redemption
        item = StoreItem.objects.select_for_update().get(pk=item.pk)
        if not item.active:
            raise ValidationError({"item": _("该物品已下架。")})
        if item.stock < quantity:
            raise ValidationError(
                {
                    "quantity": _("库存不足：%(name)s 只剩 %(n)s%(unit)s。")
                    % {"name": item.name, "n": item.stock, "unit": item.unit}
                },
            )
        cost = item.points_price * quantity
        balance = accounts[account.pk].balance
        if balance < cost:
            raise ValidationError(
                _("积分不足：本户可用 %(b)s 分，兑换需要 %(c)s 分。") % {"b": balance, "c": cost},
                code="insufficient",
            )
        today = timezone.localdate()
        entry = Entry(
            idempotency_key=key,
            account=account,
            village_id=household.village_id,
            kind=EntryKind.REDEMPTION,
            points=-cost,
            year=today.year,
            occurred_on=today,
            reason=stored("兑换 %(name)s × %(n)s") % {"name": item.name, "n": quantity},
            status=EntryStatus.POSTED,
            recorded_by=actor,
        )
        entry.account.household = household
        _post([entry], actor=actor)
        try:
            with transaction.atomic():
                entry.save()
        except IntegrityError:
            # The same key committed by a concurrent request: this one must not debit again.
            raise ValidationError(_("这笔兑换已经办理。"), code="duplicate") from None
        StoreItem.objects.filter(pk=item.pk).update(stock=F("stock") - quantity)
        redemption = Redemption.objects.create(
            village_id=household.village_id,
            account=account,
            item=item,
            quantity=quantity,
            points=cost,
            entry=entry,
            receipt=_receipt("R"),
            served_by=actor,
        )
        audit.record(
            actor=actor,
            action="points.redeem",
            obj=redemption,
            village=household.village,
            payload={
                "household": household.number,
                "item": item.name,
                "quantity": quantity,
                "points": cost,
                "receipt": redemption.receipt,
            },
        )
    return redemption


# --- scores, star households, allocations ------------------------------------------------------


def year_scores(village: Village, year: int) -> dict[int, int]:
    """Household id → the year's conduct score (base points, additions, deductions and
    reversals that are posted; redemptions do not lower it)."""
    rows = (
        Entry.objects.filter(
            village=village,
            year=year,
            status=EntryStatus.POSTED,
            kind__in=SCORE_KINDS,
            account__villager__isnull=True,
        )
        .values("account__household_id")
        .annotate(total=Sum("points"))
    )
    return {r["account__household_id"]: r["total"] for r in rows}


def year_scores_of(household: Household, year: int) -> int:
    row = Entry.objects.filter(
        account__household=household,
        account__villager__isnull=True,
        year=year,
        status=EntryStatus.POSTED,
        kind__in=SCORE_KINDS,
    ).aggregate(total=Sum("points"))
    return row["total"] or 0


def _clean_thresholds(thresholds: dict) -> dict[int, int]:
    try:
        clean = {int(k): int(v) for k, v in thresholds.items()}
    except (TypeError, ValueError) as exc:
        raise ValidationError(_("星级门槛须为整数。")) from exc
    if not clean or any(not 1 <= k <= MAX_STARS for k in clean):
        raise ValidationError(_("星级须在 1 到 5 之间。"))
    ordered = [clean[k] for k in sorted(clean)]
    if ordered != sorted(ordered) or len(set(ordered)) != len(ordered):
        raise ValidationError(_("星级越高，门槛分数必须越高。"))
    return clean


def star_round_rate(*, actor, village: Village, year: int, thresholds: dict) -> StarRound:
    _require(actor, WELFARE, village)
    clean = _clean_thresholds(thresholds)
    if StarRound.objects.filter(village=village, year=year).exists():
        raise ValidationError(_("%(year)s年度已经评定过星级。") % {"year": year}, code="exists")
    scores = year_scores(village, year)
    try:
        with transaction.atomic():
            return _rate(actor, village, year, clean, scores)
    except IntegrityError as exc:  # another request rated the same year in the meantime
        raise ValidationError(
            _("%(year)s年度已经评定过星级。") % {"year": year}, code="exists"
        ) from exc


def _rate(actor, village: Village, year: int, clean: dict, scores: dict) -> StarRound:
    """The round and its ratings from the year's scores (inside the caller's transaction)."""
    rnd = StarRound.objects.create(
        village=village, year=year, thresholds={str(k): v for k, v in clean.items()}
    )
    ratings = []
    for household_id, score in scores.items():
        stars = max((k for k, v in clean.items() if score >= v), default=0)
        if stars:
            ratings.append(
                StarRating(round=rnd, household_id=household_id, score=score, stars=stars)
            )
    bulk_create_with_history(ratings, StarRating, default_user=actor)
    audit.record(
        actor=actor,
        action="points.stars.rate",
        obj=rnd,
        village=village,
        payload={
            "year": year,
            "thresholds": rnd.thresholds,
            "rated": {str(k): sum(1 for r in ratings if r.stars == k) for k in clean},
        },
    )
    return rnd


def star_round_publish(*, actor, star_round: StarRound) -> StarRound:
    _require(actor, WELFARE, star_round.village)
    with transaction.atomic():
        rnd = StarRound.objects.select_for_update().get(pk=star_round.pk)
        if rnd.published_at:
            raise ValidationError(_("已经公布过了。"), code="published")
        rnd.published_at = timezone.now()
        rnd.published_by = actor
        rnd._history_user = actor
        rnd.save()
        audit.record(
            actor=actor, action="points.stars.publish", obj=rnd, village=rnd.village, payload={}
        )
    return rnd


def star_rating_revoke(*, actor, rating: StarRating, reason: str) -> StarRating:
    _require(actor, WELFARE, rating.round.village)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请写明撤销原因（如严重违反村规民约的事实）。")})
    with transaction.atomic():
        rating = StarRating.objects.select_for_update().select_related("round").get(pk=rating.pk)
        if rating.revoked_at:
            raise ValidationError(_("该星级已经撤销。"), code="revoked")
        rating.revoked_at = timezone.now()
        rating.revoked_reason = reason[:200]
        rating.revoked_by = actor
        rating._history_user = actor
        rating.save()
        audit.record(
            actor=actor,
            action="points.stars.revoke",
            obj=rating,
            village=rating.round.village,
            payload={"household": rating.household_id, "stars": rating.stars, "reason": reason},
        )
    return rating


TIE_RULE = _(
    "按超过起算分的积分比例分配，金额以分为单位取整；余下的分按小数部分从大到小逐户补 1 分，"
    "小数部分相同时积分高者优先，再相同时户号小者优先。"
)


def allocation_create(
    *,
    actor,
    village: Village,
    year: int,
    title: str,
    pool_fen: int,
    floor: int = 0,
    cap_fen: int | None = None,
    ineligible: dict[int, str] | None = None,
    idempotency_key: str | None = None,
) -> Allocation:
    """Split `pool_fen` among the village's households by the year's score above `floor`.
    `ineligible`: household id → reason (e.g. a revoked star rating). The same key twice
    (a double click) makes one allocation."""
    _require(actor, WELFARE, village)
    key = (idempotency_key or "").strip() or None
    if key is not None:
        if len(key) > 80:
            raise ValidationError(_("幂等键不能超过 80 个字符。"), code="invalid_key")
        existing = Allocation.objects.filter(idempotency_key=key).first()
        if existing is not None:
            if existing.village_id != village.pk:
                raise ValidationError(_("幂等键已被使用。"), code="invalid_key")
            return existing
    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": _("请填写名称。")})
    if not isinstance(pool_fen, int) or pool_fen <= 0:
        raise ValidationError({"pool_fen": _("总额须为正数。")})
    if cap_fen is not None and cap_fen <= 0:
        raise ValidationError({"cap_fen": _("每户上限须为正数。")})
    ineligible = dict(ineligible or {})
    households = list(
        Household.objects.filter(village=village, status=HouseholdStatus.ACTIVE)
        .select_related("head")
        .order_by("number")
    )
    scores = year_scores(village, year)
    weights = {}
    for h in households:
        score = scores.get(h.pk, 0)
        weights[h.number] = 0 if h.pk in ineligible else max(score - floor, 0)
    parts = allocate(pool_fen, weights, cap_fen)
    ranked = sorted(
        households, key=lambda h: (-parts[h.number].amount, -weights[h.number], h.number)
    )
    try:
        with transaction.atomic():
            allocation = Allocation.objects.create(
                village=village,
                year=year,
                title=title,
                pool_fen=pool_fen,
                floor=floor,
                cap_fen=cap_fen,
                rule_text=TIE_RULE,
                created_by=actor,
                idempotency_key=key,
            )
            Share.objects.bulk_create(
                [
                    Share(
                        allocation=allocation,
                        household=h,
                        score=scores.get(h.pk, 0),
                        weight=weights[h.number],
                        eligible=h.pk not in ineligible,
                        reason=ineligible.get(h.pk, "")[:100],
                        amount_fen=parts[h.number].amount,
                        rank=rank,
                    )
                    for rank, h in enumerate(ranked, start=1)
                ],
                batch_size=2000,
            )
            audit.record(
                actor=actor,
                action="points.allocation.create",
                obj=allocation,
                village=village,
                payload={
                    "year": year,
                    "pool_fen": pool_fen,
                    "floor": floor,
                    "cap_fen": cap_fen,
                    "households": len(households),
                    "ineligible": {str(k): v for k, v in ineligible.items()},
                    "sum_fen": sum(p.amount for p in parts.values()),
                    "shares_sha256": _shares_sha256(
                        (h.number, parts[h.number].amount) for h in ranked
                    ),
                },
            )
    except IntegrityError:
        existing = Allocation.objects.filter(idempotency_key=key).first() if key else None
        if existing is None:
            raise
        return existing  # the same form, submitted twice at once
    return allocation


def allocation_publish(*, actor, allocation: Allocation) -> Allocation:
    _require(actor, WELFARE, allocation.village)
    with transaction.atomic():
        allocation = Allocation.objects.select_for_update().get(pk=allocation.pk)
        if allocation.published_at:
            raise ValidationError(_("已经公布过了。"), code="published")
        allocation.published_at = timezone.now()
        allocation._history_user = actor
        allocation.save()
        audit.record(
            actor=actor,
            action="points.allocation.publish",
            obj=allocation,
            village=allocation.village,
            payload={
                "pool_fen": allocation.pool_fen,
                "shares_sha256": shares_fingerprint(allocation),
            },
        )
    return allocation


def _shares_sha256(rows) -> str:
    text = "\n".join(f"{number}\t{fen}" for number, fen in rows)
    return hashlib.sha256(text.encode()).hexdigest()


def shares_fingerprint(allocation: Allocation) -> str:
    """SHA-256 of the allocation's (household number, fen) rows in rank order, as stored; the
    audit chain holds it from creation and publication, so a share changed later shows."""
    return _shares_sha256(
        allocation.shares.order_by("rank").values_list("household__number", "amount_fen")
    )


def revoked_star_households(village: Village, year: int) -> dict[int, str]:
    """Households whose star rating of `year` was revoked: the usual ineligibility list."""
    return {
        r.household_id: _("星级被撤销：%(reason)s") % {"reason": r.revoked_reason}
        for r in StarRating.objects.filter(
            round__village=village, round__year=year, revoked_at__isnull=False
        )
    }


def balances_differing(village_ids=None) -> list[tuple[Account, int]]:
    """Accounts whose materialised balance differs from the sum of their posted entries."""
    qs = Account.objects.select_related("household", "village")
    if village_ids is not None:
        qs = qs.filter(village_id__in=village_ids)
    posted = Sum("entries__points", filter=Q(entries__status=EntryStatus.POSTED))
    out = []
    for account in qs.annotate(posted=posted).order_by("pk").iterator(chunk_size=2000):
        total = account.posted or 0
        if total != account.balance:
            out.append((account, total))
    return out
