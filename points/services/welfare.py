"""Star households (rate, publish, revoke) and allocations of a welfare pool by score."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from village import audit, permissions
from village.models import Village
from village.permissions import user_of

from .. import selectors
from ..allocation import allocate
from ..models import (
    Allocation,
    Share,
    StarRating,
    StarRound,
)
from ..permissions import PointsAction

MAX_STARS = 5


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
    permissions.require(actor, PointsAction.WELFARE_MANAGE, village)
    clean = _clean_thresholds(thresholds)
    if StarRound.objects.filter(village=village, year=year).exists():
        raise ValidationError(_("%(year)s年度已经评定过星级。") % {"year": year}, code="exists")
    scores = selectors.year_scores(village, year)
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
    bulk_create_with_history(ratings, StarRating, default_user=user_of(actor))
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


@transaction.atomic
def star_rating_revoke(*, actor, rating: StarRating, reason: str) -> StarRating:
    permissions.require(actor, PointsAction.WELFARE_MANAGE, rating.round.village)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请写明撤销原因（如严重违反村规民约的事实）。")})
    rating = StarRating.objects.select_for_update().select_related("round").get(pk=rating.pk)
    if rating.revoked_at:
        raise ValidationError(_("该星级已经撤销。"), code="revoked")
    rating.revoked_at = timezone.now()
    rating.revoked_reason = reason[:200]
    rating.revoked_by = user_of(actor)
    rating._history_user = user_of(actor)
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


def _allocation_by_key(key: str | None, village: Village) -> Allocation | None:
    """The allocation already made under `key` (a double click), refused if it is another
    village's."""
    if key is None:
        return None
    existing = Allocation.objects.filter(idempotency_key=key).first()
    if existing is not None and existing.village_id != village.pk:
        raise ValidationError(_("幂等键已被使用。"), code="invalid_key")
    return existing


def _check_allocation_terms(title: str, pool_fen, cap_fen) -> None:
    if not title:
        raise ValidationError({"title": _("请填写名称。")})
    if not isinstance(pool_fen, int) or pool_fen <= 0:
        raise ValidationError({"pool_fen": _("总额须为正数。")})
    if cap_fen is not None and cap_fen <= 0:
        raise ValidationError({"cap_fen": _("每户上限须为正数。")})


SHARE_COLUMNS = ("household_id", "score", "weight", "eligible", "reason", "amount_fen", "rank")
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _shares_insert(allocation: Allocation, rows: list[tuple]) -> None:
    """The shares of a new allocation in bulk: COPY on PostgreSQL (a county's allocation is
    150,000 rows), a batched INSERT elsewhere. `rows` follow SHARE_COLUMNS."""
    if connection.vendor != "postgresql":
        Share.objects.bulk_create(
            [
                Share(allocation=allocation, **dict(zip(SHARE_COLUMNS, row, strict=True)))
                for row in rows
            ],
            batch_size=2000,
        )
        return
    columns = ", ".join(("allocation_id", *SHARE_COLUMNS))
    # One string in COPY's text format (`write_row` per row costs more than the COPY): the
    # reason is the only text, escaped as the format requires.
    text = "".join(
        f"{allocation.pk}\t{household}\t{score}\t{weight}\t{'t' if eligible else 'f'}\t"
        f"{reason.translate(_COPY_ESCAPES)}\t{amount}\t{rank}\n"
        for household, score, weight, eligible, reason, amount, rank in rows
    )
    with connection.cursor() as cursor:
        with cursor.connection.cursor().copy(
            f"COPY {Share._meta.db_table} ({columns}) FROM STDIN"
        ) as copy:
            copy.write(text)


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
    permissions.require(actor, PointsAction.WELFARE_MANAGE, village)
    key = (idempotency_key or "").strip() or None
    if key is not None and len(key) > 80:
        raise ValidationError(_("幂等键不能超过 80 个字符。"), code="invalid_key")
    title = (title or "").strip()
    ineligible = dict(ineligible or {})
    try:
        _check_allocation_terms(title, pool_fen, cap_fen)
        # One read of plain rows: a county's allocation reads hundreds of thousands of
        # households.
        scored = selectors.active_household_scores(village, year)
        weights = {}
        for pk, number, score in scored:
            weights[number] = 0 if pk in ineligible else max(score - floor, 0)
        parts = allocate(pool_fen, weights, cap_fen)
    except ValidationError:
        # Terms that no longer hold (the scores moved since): a form already submitted under
        # this key still answers with its allocation; another village's key is refused.
        existing = _allocation_by_key(key, village)
        if existing is None:
            raise
        return existing
    households = [(pk, number) for pk, number, _score in scored]
    scores = {pk: score for pk, _number, score in scored}
    ranked = sorted(households, key=lambda h: (-parts[h[1]].amount, -weights[h[1]], h[1]))
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
                created_by=user_of(actor),
                idempotency_key=key,
            )
            _shares_insert(
                allocation,
                [
                    (
                        pk,
                        scores.get(pk, 0),
                        weights[number],
                        pk not in ineligible,
                        ineligible.get(pk, "")[:100],
                        parts[number].amount,
                        rank,
                    )
                    for rank, (pk, number) in enumerate(ranked, start=1)
                ],
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
                    "shares_sha256": selectors.shares_sha256(
                        (number, parts[number].amount) for _pk, number in ranked
                    ),
                },
            )
    except IntegrityError:
        # The key's unique index is the check (no read first: a county's allocation runs once
        # per village): the same form submitted again, or twice at once, makes one allocation.
        existing = _allocation_by_key(key, village)
        if existing is None:
            raise
        return existing
    return allocation
