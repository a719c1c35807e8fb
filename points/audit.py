"""Points and welfare as the township inspects them (`GET /api/v1/points/audit`, the 议事巡查
dashboard's 积分与福利 column): each finding a flag with its reason and figures, computed from
the records.

- 回避: entries a cadre recorded for their own household, with the reason they gave;
- 分配未经决议: a published allocation or star round with no resolution (made before the rule);
- concentration: cadre households among an allocation's top ten and their share of the pool,
  and their share of the store's redemptions this year, against their share of households;
- 监委会异议: a points list or an allocation the supervision committee disputed;
- 异议待答复: an allocation list whose window is over with objections unanswered.
"""

from dataclasses import asdict, dataclass
from fractions import Fraction

from django.core.exceptions import ValidationError
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from village.extensions import resolutions
from village.models import HouseholdStatus, Stance, Village
from village.money import yuan_figure
from village.selectors import cadre_household_ids, cadre_households, supervision_notes

from . import selectors, terms
from .models import Allocation, Entry, Publication, Redemption, StarRound
from .services.decisions import deciding_resolution

CHECKS = {
    "recusal": gettext_lazy("回避"),
    "unresolved": gettext_lazy("分配未经决议"),
    "concentration": gettext_lazy("干部户集中"),
    "supervision": gettext_lazy("监委会异议"),
    "objections": gettext_lazy("分配异议答复"),
}

TOP = 10
# Flagged when cadre households hold at least this many of an allocation's top ten, or take more
# than twice their share of households (of the pool, or of the year's redemptions).
TOP_CADRES = 3
OVER_SHARE = 2


@dataclass
class WelfareFlag:
    code: str
    ok: bool
    reason: str
    subject: str = ""

    @property
    def label(self) -> str:
        return str(CHECKS[self.code])

    def as_dict(self) -> dict:
        return {**asdict(self), "label": self.label}


def _percent(part, whole) -> str:
    return f"{round(Fraction(part * 100, whole))}%" if whole else "0%"


def recusal_flags(village: Village) -> list[WelfareFlag]:
    entries = (
        Entry.objects.filter(village=village, recusal_note__isnull=False)
        .select_related("account__household", "recorded_by", "rule")
        .order_by("occurred_on", "pk")
    )
    return [
        WelfareFlag(
            "recusal",
            False,
            _("%(who)s 为本户（%(h)s）登记积分 %(p)+d 分（%(day)s），回避说明：%(why)s")
            % {
                "who": e.recorded_by.get_username() if e.recorded_by_id else "system",
                "h": e.account.household.number,
                "p": e.points,
                "day": e.occurred_on.isoformat(),
                "why": e.recusal_note,
            },
            f"points.entry:{e.pk}",
        )
        for e in entries
    ]


def _still_decided(obj, heading: str, items, standing) -> str | None:
    """Why a published list no longer agrees with the resolution it was published under (the
    list or the resolution changed behind the code's back), or None."""
    try:
        found = deciding_resolution(obj.village, obj.matter_ref, heading, items, standing)
    except ValidationError as exc:
        return "；".join(exc.messages)
    if found.text_sha256 != obj.resolution_sha256:
        return _("决议文本指纹与公布时记录的不同")
    return None


def unresolved_flags(village: Village) -> list[WelfareFlag]:
    """A published list with no resolution, or one that no longer matches the resolution it
    was published under: its terms and fingerprint are recomputed from the stored rows."""
    flags = []
    standing = None  # the village's resolutions, read once when a published list needs them
    for a in Allocation.objects.filter(village=village, published_at__isnull=False):
        if a.matter_ref is not None:
            standing = resolutions(village) if standing is None else standing
            why = _still_decided(a, terms.ALLOCATION, selectors.allocation_terms(a), standing)
            if why:
                flags.append(
                    WelfareFlag(
                        "unresolved",
                        False,
                        _("已公布的“%(t)s”与决议不再一致：%(why)s") % {"t": a.title, "why": why},
                        f"points.allocation:{a.pk}",
                    )
                )
        if a.matter_ref is None:
            flags.append(
                WelfareFlag(
                    "unresolved",
                    False,
                    _("分配未经决议：%(t)s（%(day)s 公布）")
                    % {"t": a.title, "day": timezone.localdate(a.published_at).isoformat()},
                    f"points.allocation:{a.pk}",
                )
            )
    for r in StarRound.objects.filter(village=village, published_at__isnull=False):
        if r.matter_ref is not None:
            standing = resolutions(village) if standing is None else standing
            why = _still_decided(r, terms.STARS, selectors.star_round_terms(r), standing)
            if why:
                flags.append(
                    WelfareFlag(
                        "unresolved",
                        False,
                        _("已公布的“%(t)s”与决议不再一致：%(why)s") % {"t": str(r), "why": why},
                        f"points.starround:{r.pk}",
                    )
                )
        if r.matter_ref is None:
            flags.append(
                WelfareFlag(
                    "unresolved",
                    False,
                    _("星级评定未经决议：%(t)s") % {"t": str(r)},
                    f"points.starround:{r.pk}",
                )
            )
    return flags


def concentration_flags(village: Village) -> list[WelfareFlag]:
    cadres = cadre_household_ids(village)
    households = village.households.filter(status=HouseholdStatus.ACTIVE).count()
    share = Fraction(len(cadres), households or 1)
    flags = []
    for a in Allocation.objects.filter(village=village).order_by("-year", "-pk")[:5]:
        top = list(a.shares.order_by("rank").values_list("household_id", flat=True)[:TOP])
        in_top = sum(1 for h in top if h in cadres)
        amounts = a.shares.filter(household_id__in=cadres).aggregate(s=Sum("amount_fen"))["s"]
        amount = amounts or 0
        over = a.pool_fen and Fraction(amount, a.pool_fen) > OVER_SHARE * share
        flags.append(
            WelfareFlag(
                "concentration",
                not (in_top >= TOP_CADRES or over),
                _(
                    "%(t)s：前十名中 %(n)d 户为村干部户；村干部户分得 %(amount)s 元，占 %(p)s"
                    "（村干部户占全村 %(s)s）"
                )
                % {
                    "t": a.title,
                    "n": in_top,
                    "amount": yuan_figure(amount),
                    "p": _percent(amount, a.pool_fen),
                    "s": _percent(len(cadres), households),
                },
                f"points.allocation:{a.pk}",
            )
        )
    year = timezone.localdate().year
    spent = Redemption.objects.filter(village=village, created_at__year=year).aggregate(
        all=Sum("points"), n=Count("pk")
    )
    if spent["n"]:
        mine = (
            Redemption.objects.filter(
                village=village, created_at__year=year, account__household_id__in=cadres
            ).aggregate(s=Sum("points"))["s"]
            or 0
        )
        flags.append(
            WelfareFlag(
                "concentration",
                not Fraction(mine, spent["all"]) > OVER_SHARE * share,
                _("%(y)s年积分超市：村干部户兑换 %(m)d 分，占 %(p)s（村干部户占全村 %(s)s）")
                % {
                    "y": year,
                    "m": mine,
                    "p": _percent(mine, spent["all"]),
                    "s": _percent(len(cadres), households),
                },
                "points.redemption",
            )
        )
    return flags


def supervision_flags(village: Village) -> list[WelfareFlag]:
    lists = [
        *Publication.objects.filter(village=village).order_by("-month")[:24],
        *Allocation.objects.filter(village=village).order_by("-pk")[:10],
    ]
    notes = supervision_notes(lists)
    flags = []
    for obj in lists:
        found = notes.get((obj._meta.label_lower, str(obj.pk)), [])
        for note in found:
            if note.stance == Stance.DISPUTE:
                flags.append(
                    WelfareFlag(
                        "supervision",
                        False,
                        _("监委会对“%(o)s”有异议（%(who)s）：%(why)s")
                        % {"o": str(obj), "who": note.by, "why": note.text},
                        f"{obj._meta.label_lower}:{obj.pk}",
                    )
                )
    return flags


def objection_flags(village: Village) -> list[WelfareFlag]:
    now = timezone.now()
    late = (
        Allocation.objects.filter(village=village, objection_ends_at__lt=now)
        .filter(objections__isnull=False, objections__answered_at__isnull=True)
        .distinct()
    )
    return [
        WelfareFlag(
            "objections",
            False,
            _("%(t)s：公示期已满，仍有异议未答复") % {"t": a.title},
            f"points.allocation:{a.pk}",
        )
        for a in late
    ]


def welfare_flags(village: Village) -> list[WelfareFlag]:
    """Every finding of `village`, in a fixed order (the figures of concentration are shown
    even when within bounds: ok=True)."""
    cadre_households(village)  # read once for the checks below
    return [
        *recusal_flags(village),
        *unresolved_flags(village),
        *concentration_flags(village),
        *supervision_flags(village),
        *objection_flags(village),
    ]
