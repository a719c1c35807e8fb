"""Phone screens: the household's points page, the monthly list with objections, the grid
officer's recording form, and the household card's QR landing."""

import hashlib
import secrets

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from village import documents as village_documents
from village import permissions
from village.models import Household, HouseholdStatus
from village.money import yuan_figure

from . import documents, selectors, services
from .cards import card_household
from .models import Allocation, Category, Entry, Publication, StarRound
from .permissions import PointsAction

# The largest key a BigAutoField holds; anything past it cannot name a row.
MAX_PK = 2**63 - 1


def form_key() -> str:
    """A form's idempotency key, shown in the page: URL-safe base64, so it never reads as a run
    of 18 digits (an ID number, to the privacy crawl), as a 32-digit hex string now and then
    does."""
    return secrets.token_urlsafe(16)


def parse_pk(value) -> int | None:
    """A key as typed or posted, or None: ASCII digits only ("²" passes str.isdigit but not
    int()), and within a key's range. None matches no row: get_object_or_404(pk=None) is 404."""
    text = str(value if value is not None else "").strip()
    if not (text.isascii() and text.isdigit()):
        return None
    pk = int(text)
    return pk if 0 < pk <= MAX_PK else None


def _error_text(exc) -> str:
    if isinstance(exc, ValidationError):
        return "；".join(exc.messages)
    return str(exc) or _("您没有权限执行此操作。")


# Entries of the year on one screen of the household's page; older ones a page further.
ENTRIES_PER_PAGE = 20


def _page_number(value) -> int:
    number = parse_pk(value)
    return number if number is not None and number < 10_000 else 1


def _rule_categories(village) -> dict:
    categories = {}
    for rule in selectors.rules_on(village, timezone.localdate()):
        categories.setdefault(rule.category.name, []).append(rule)
    return categories


def _rules_key(village, catalogue) -> str:
    """What the rules' fragment shows: the adopted catalogue (its rules never change) and the
    names and order of the village's categories (they may be renamed)."""
    if catalogue is None:
        return "none"
    names = Category.objects.filter(village=village).order_by("pk").values_list("name", "order")
    digest = hashlib.sha256(repr(list(names)).encode()).hexdigest()[:16]
    return f"{catalogue.pk}:{digest}"


@login_required
def home(request):
    household = permissions.household_of(request.user)
    year = timezone.localdate().year
    context = {
        "household": household,
        "year": year,
        "may_record": permissions.can(request.user, PointsAction.RECORD),
    }
    if household is not None:
        village = household.village
        account = selectors.account_of(household)
        # One page of entries, read one past the page to know whether there is a next one:
        # the template never loops over the whole year.
        page = _page_number(request.GET.get("page"))
        start = (page - 1) * ENTRIES_PER_PAGE
        entries = list(
            selectors.entries_of(household, year=year, objections=True)[
                start : start + ENTRIES_PER_PAGE + 1
            ]
        )
        catalogue = selectors.catalogue_on(village, timezone.localdate())
        context.update(
            account=account,
            balance=account.balance if account else 0,
            score=selectors.year_scores_of(household, year),
            summary=selectors.year_summary(household, year),
            entries=entries[:ENTRIES_PER_PAGE],
            page=page,
            next_page=page + 1 if len(entries) > ENTRIES_PER_PAGE else None,
            # Rendered once per catalogue and language (the template's fragment cache): the
            # rules are read only when the fragment is not in the cache.
            categories=lambda: _rule_categories(village),
            rules_key=_rules_key(village, catalogue),
            items=list(selectors.store_items(village)),
            publications=list(
                Publication.objects.filter(village=village).order_by("-published_at")[:6]
            ),
            stars=StarRound.objects.filter(village=village, published_at__isnull=False).first(),
            allocation=Allocation.objects.filter(village=village, published_at__isnull=False)
            .order_by("-published_at")
            .first(),
        )
    return render(request, "points/home.html", context)


@login_required
def publication(request, publication_id):
    pub = get_object_or_404(Publication.objects.select_related("village"), pk=publication_id)
    if not selectors.may_see_publication(request.user, pub):
        raise Http404
    rows = selectors.publication_rows(pub)
    proxy = permissions.proxy_of(request.user)
    if proxy is not None and permissions.villager_of(request.user) is None:
        # A 亲情账号 never sees another household: its own household's rows of the list only.
        rows = rows.filter(account__household_id=proxy.household_id)
    rows = list(rows)
    may_object = permissions.can(request.user, PointsAction.OBJECT, pub.village) and pub.is_open
    return render(
        request,
        "points/publication.html",
        {
            "publication": pub,
            "rows": rows,
            "may_object": may_object,
            "proxy": proxy,
            "total": sum(r.points for r in rows),
        },
    )


@login_required
@require_POST
def objection(request, entry_id):
    entry = get_object_or_404(Entry.objects.select_related("village"), pk=entry_id)
    if not permissions.can(request.user, PointsAction.OBJECT, entry.village):
        raise Http404
    try:
        services.objection_file(actor=request.user, entry=entry, text=request.POST.get("text", ""))
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("异议已提交，村委会将在公示期内答复。"))
    back = request.POST.get("next") or ""
    if back.startswith("/") and not back.startswith("//"):
        return redirect(back)
    return redirect("points:home")


class RecordForm(forms.Form):
    # Starts on "请选择": an untouched form must not record the first rule of the list.
    rule = forms.ModelChoiceField(
        label=gettext_lazy("规则"),
        queryset=None,
        empty_label=gettext_lazy("请选择"),
        error_messages={"required": gettext_lazy("请选择一条积分规则。")},
    )
    occurred_on = forms.DateField(
        label=gettext_lazy("日期"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    reason = forms.CharField(label=gettext_lazy("说明（可不填）"), max_length=300, required=False)
    photo = forms.FileField(label=gettext_lazy("照片"), required=False)
    key = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, rules, own_household=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rule"].queryset = rules
        if own_household:
            # 回避: the cadre's own household — recorded only with a reason the inspector sees.
            self.fields["recusal"] = forms.CharField(
                label=gettext_lazy(
                    "回避说明（这是您本户，应由其他干部登记；确需本人登记请写明原因）"
                ),
                max_length=300,
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
        self.fields["rule"].label_from_instance = lambda r: (
            f"{r.category.name} · {r.text} {r.points:+d}"
            + (_("（须拍照）") if r.evidence_required else "")
        )
        self.fields["photo"].widget.attrs.update(accept="image/jpeg,image/png,image/webp")
        self.fields["photo"].widget.attrs["capture"] = "environment"


@login_required
def record(request):
    """The grid officer at the door: find the household, pick the rule, take a photo, submit."""
    if not permissions.can(request.user, PointsAction.RECORD):
        raise PermissionDenied
    # Asked once for the request: the villages where the user records.
    villages = permissions.visible_villages(request.user, PointsAction.RECORD)
    picked = request.POST.get("household") or request.GET.get("household")
    if not picked:
        return _record_find(request, villages)
    pk = parse_pk(picked)
    household = (
        Household.objects.filter(village__in=villages, status=HouseholdStatus.ACTIVE)
        .select_related("head", "village", "area__parent")
        .filter(pk=pk)
        .first()
        if pk
        else None
    )
    if household is None:
        raise Http404
    return _record_form(request, household)


def _record_find(request, villages):
    q = (request.GET.get("q") or "").strip()
    found = []
    if q:
        # Only the households the officer may record for; a card scanned in another grid
        # still opens the form, and the service says why it refuses.
        found = list(
            selectors.households_to_record(request.user, villages=villages)
            .select_related("head", "area__parent")
            .filter(selectors.household_match(q))
            .order_by("number")[:30]
        )
    # Nothing in the officer's own areas: say where the household is, not who lives there.
    elsewhere = (
        selectors.areas_found_elsewhere(request.user, q, villages=villages)
        if q and not found
        else []
    )
    return render(
        request,
        "points/record_find.html",
        {"q": q, "found": found, "elsewhere": "、".join(elsewhere)},
    )


def _record_form(request, household: Household):
    rules = selectors.rules_on(household.village, timezone.localdate())
    initial = {"occurred_on": timezone.localdate(), "key": form_key()}
    own = permissions.villager_of(request.user)
    form = RecordForm(
        request.POST or None,
        request.FILES or None,
        rules=rules,
        initial=initial,
        own_household=own is not None and own.household_id == household.pk,
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            entry = _record_posted(request, household, form)
            if entry is not None:
                messages.success(
                    request,
                    _("已登记：%(number)s 户 %(rule)s %(points)+d 分，待审核。")
                    % {
                        "number": household.number,
                        "rule": entry.rule.text,
                        "points": entry.points,
                    },
                )
                return redirect(reverse("points:record"))
        status = 400
    recent = (
        Entry.objects.filter(account__household=household)
        .select_related("rule")
        .order_by("-recorded_at")[:5]
    )
    return render(
        request,
        "points/record_form.html",
        {"household": household, "form": form, "recent": recent},
        status=status,
    )


def _record_posted(request, household: Household, form) -> Entry | None:
    """The service records the valid form's entry (and checks the officer's grid); its refusal
    goes onto the form."""
    data = form.cleaned_data
    try:
        return services.entry_record(
            actor=request.user,
            household=household,
            rule=data["rule"],
            occurred_on=data["occurred_on"],
            reason=data["reason"],
            photo=data.get("photo"),
            idempotency_key=f"web-{request.user.pk}-{data['key']}",
            recusal=data.get("recusal", ""),
        )
    except (ValidationError, PermissionDenied) as exc:
        _form_errors(form, exc)
        return None


@login_required
def claim(request):
    """A villager claims a good deed for their own household (a photo helps the review)."""
    household = permissions.household_of(request.user)
    if household is None or not permissions.can(
        request.user, PointsAction.CLAIM, household.village
    ):
        raise PermissionDenied
    rules = selectors.rules_on(household.village, timezone.localdate()).filter(points__gt=0)
    initial = {"occurred_on": timezone.localdate(), "key": form_key()}
    form = RecordForm(request.POST or None, request.FILES or None, rules=rules, initial=initial)
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.entry_claim(
                    actor=request.user,
                    rule=data["rule"],
                    occurred_on=data["occurred_on"],
                    reason=data["reason"],
                    photo=data.get("photo"),
                    key=f"claim-{request.user.pk}-{data['key']}",
                )
            except (ValidationError, PermissionDenied) as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, _("已申报，村委会审核后公示。"))
                return redirect("points:home")
        return render(request, "points/claim.html", {"form": form}, status=400)
    return render(request, "points/claim.html", {"form": form})


def _form_errors(form, exc) -> None:
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            for error in errors:
                form.add_error(field if field in form.fields else None, error)
    else:
        form.add_error(None, _error_text(exc))


@login_required
def card(request, token):
    """Where the household card's QR leads: the counter for the store keeper, the recording form
    for the grid officer, the household's own page for its members."""
    household = card_household(token)
    if permissions.can(request.user, PointsAction.STORE_SERVE, household.village):
        return redirect(f"{reverse('points_admin_counter')}?household={household.number}")
    if permissions.can(request.user, PointsAction.RECORD, household.village):
        return redirect(f"{reverse('points:record')}?household={household.pk}")
    mine = permissions.household_of(request.user)
    if mine is not None and mine.pk == household.pk:
        return redirect("points:home")
    raise Http404


@login_required
def statement_pdf(request):
    """The "下载积分存折" link: the caller's own household — no other can be named here."""
    household = permissions.household_of(request.user)
    if household is None:
        raise PermissionDenied
    try:
        year = documents.check_year(request.GET.get("year") or timezone.localdate().year)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
        return redirect("points:home")
    doc = documents.statement(request.user, household, year)
    return village_documents.response(doc, inline=False)


def _welfare_visible(request, village):
    if not selectors.welfare_visible(request.user, village):
        raise Http404


@login_required
def stars(request, round_id):
    rnd = get_object_or_404(StarRound.objects.select_related("village"), pk=round_id)
    _welfare_visible(request, rnd.village)
    if rnd.published_at is None and not permissions.can(
        request.user, PointsAction.VIEW, rnd.village
    ):
        raise Http404
    ratings = rnd.ratings.select_related("household__head").order_by(
        "-stars", "-score", "household__number"
    )
    return render(request, "points/stars.html", {"round": rnd, "ratings": ratings})


@login_required
def allocation(request, allocation_id):
    alloc = get_object_or_404(Allocation.objects.select_related("village"), pk=allocation_id)
    _welfare_visible(request, alloc.village)
    if alloc.published_at is None and not permissions.can(
        request.user, PointsAction.VIEW, alloc.village
    ):
        raise Http404
    shares = alloc.shares.select_related("household__head").order_by("rank")
    total = sum(s.amount_fen for s in shares)
    objections = list(alloc.objections.only("allocation_id", "answered_at"))
    state, when = selectors.allocation_state(alloc, objections)
    return render(
        request,
        "points/allocation.html",
        {
            "allocation": alloc,
            "shares": shares,
            "total_yuan": yuan_figure(total),
            "state": state,
            "state_label": selectors.LIST_STATES[state],
            "state_when": when,
            "objections": len(objections),
            "answered": sum(1 for o in objections if o.answered_at),
            "decided_by": selectors.deciding_resolution(alloc),
            "may_object": state == selectors.ListState.OBJECTING
            and permissions.can(request.user, PointsAction.OBJECT, alloc.village),
        },
    )


@require_POST
@login_required
def allocation_objection(request, allocation_id):
    alloc = get_object_or_404(Allocation.objects.select_related("village"), pk=allocation_id)
    if not permissions.can(request.user, PointsAction.OBJECT, alloc.village):
        raise Http404
    try:
        services.allocation_object(
            actor=request.user, allocation=alloc, text=request.POST.get("text", "")
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("异议已提交，村委会答复后名单才确定。"))
    return redirect("points:allocation", alloc.pk)
