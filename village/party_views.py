"""党员亮身份 on the web: the public board of a village, the member's own page (card,
commitments, 包联 households, visit notes), the secretary's page (包联, visit notes, the branch's
note of fulfilment) and the 我的包联党员 section of 我的户."""

from datetime import date

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from . import party_selectors as selectors
from . import permissions, services
from .models import (
    Commitment,
    CommitmentSet,
    Fulfilment,
    Grid,
    GridLevel,
    Household,
    PartyLink,
    Village,
    Villager,
)
from .permissions import Action


class CardForm(forms.Form):
    office_hours = forms.CharField(
        label=_lazy("坐班时间"),
        max_length=200,
        required=False,
        help_text=_lazy("例如：每周一、三上午 8:30—11:30 在党群服务中心"),
    )
    office_phone = forms.CharField(label=_lazy("办公电话"), max_length=20, required=False)
    show_office_phone = forms.BooleanField(label=_lazy("在亮身份栏公开办公电话"), required=False)
    photo = forms.FileField(label=_lazy("照片（JPEG、PNG 或 WebP）"), required=False)
    show_photo = forms.BooleanField(label=_lazy("在亮身份栏公开照片"), required=False)


def _errors(exc: ValidationError) -> str:
    return " ".join(exc.messages)


# --- the public board -------------------------------------------------------------------------


@require_safe
def board(request, village_code):
    """党员亮身份: public, for anyone who has the village's site."""
    village = get_object_or_404(Village.objects.select_related("township"), code=village_code)
    today = timezone.localdate()
    entries = selectors.board_of(village, today)
    # For a signed-in person on the board, or the branch: their own pages (roles: no query).
    mine = permissions.roles_of(request.user).villager_id
    return render(
        request,
        "village/party_board.html",
        {
            "village": village,
            "entries": entries,
            "year": today.year,
            "on_board": mine is not None and any(e.villager_id == mine for e in entries),
            "may_edit_cards": permissions.can(request.user, Action.PARTY_CARD_EDIT, village),
            "may_manage": permissions.can(request.user, Action.PARTY_LINK_MANAGE, village)
            or permissions.can(request.user, Action.PARTY_FULFILMENT, village),
        },
    )


# --- the member's own page --------------------------------------------------------------------


def _mine_context(request, villager: Villager, card_form=None) -> dict:
    today = timezone.localdate()
    card = getattr(villager, "party_card", None)
    if card_form is None:
        initial = {}
        if card is not None:
            initial = {
                "office_hours": card.office_hours,
                "office_phone": card.office_phone,
                "show_office_phone": card.show_office_phone,
                "show_photo": card.show_photo,
            }
        card_form = CardForm(initial=initial)
    return {
        "villager": villager,
        "card": card,
        "card_form": card_form,
        "is_member": villager.party_membership in selectors.MEMBERS,
        "sets": selectors.commitment_sets_of(villager),
        "year": today.year,
        "today": today,
        "households": selectors.households_served(villager, today),
        "visits": list(selectors.visits_of(villager.village, member=villager)[:50]),
    }


def _board_person(request) -> Villager:
    villager = permissions.villager_of(request.user)
    if villager is None or not selectors.on_board(villager, timezone.localdate()):
        raise PermissionDenied(_("只有本村党员和村干部有亮身份页面。"))
    return villager


@login_required
@require_safe
def mine(request):
    villager = _board_person(request)
    return render(request, "village/party_mine.html", _mine_context(request, villager))


def _mine_refused(request, villager, message: str, card_form=None):
    context = _mine_context(request, villager, card_form)
    context["error"] = message
    return render(request, "village/party_mine.html", context, status=400)


def _card_target(request, villager_id) -> Villager:
    """The villager whose card is edited: oneself, or — for the secretary — any of the village.
    Another village's card does not exist for the user (404)."""
    target = get_object_or_404(Villager.objects.select_related("village"), pk=villager_id)
    own = permissions.villager_of(request.user)
    if own is not None and own.pk == target.pk:
        return target
    if not permissions.can(request.user, Action.VIEW_VILLAGE, target.village):
        raise Http404
    permissions.require(request.user, Action.PARTY_CARD_EDIT, target.village)
    return target


@login_required
@require_http_methods(["GET", "POST"])
def card_edit(request, villager_id):
    target = _card_target(request, villager_id)
    card = getattr(target, "party_card", None)
    form = CardForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.party_card_update(
                actor=request.user,
                villager=target,
                photo=data["photo"],
                office_hours=data["office_hours"],
                office_phone=data["office_phone"],
                show_office_phone=data["show_office_phone"],
                show_photo=data["show_photo"],
            )
        except ValidationError as exc:
            form.add_error(None, _errors(exc))
        else:
            messages.success(request, _("名片已保存。"))
            return redirect("village:party_card", villager_id=target.pk)
    if request.method == "POST":
        status = 400
    elif card is not None:
        form = CardForm(
            initial={
                "office_hours": card.office_hours,
                "office_phone": card.office_phone,
                "show_office_phone": card.show_office_phone,
                "show_photo": card.show_photo,
            }
        )
    return render(
        request,
        "village/party_card.html",
        {"target": target, "card": card, "form": form},
        status=status,
    )


@login_required
@require_POST
def commitment_add(request):
    villager = permissions.villager_of(request.user)
    try:
        year = int(request.POST.get("year") or 0)
        services.commitment_add(actor=request.user, year=year, text=request.POST.get("text", ""))
    except ValueError:
        return _mine_refused(request, _board_person(request), _("年度不正确。"))
    except ValidationError as exc:
        return _mine_refused(request, _board_person(request), _errors(exc))
    messages.success(request, _("承诺已保存。"))
    return redirect("village:party_mine") if villager else redirect("village:me")


def _commitment(commitment_id) -> Commitment:
    return get_object_or_404(
        Commitment.objects.select_related("commitment_set__member"), pk=commitment_id
    )


@login_required
@require_POST
def commitment_edit(request, commitment_id):
    commitment = _commitment(commitment_id)
    try:
        if request.POST.get("withdraw"):
            services.commitment_withdraw(
                actor=request.user, commitment=commitment, reason=request.POST.get("reason", "")
            )
        else:
            services.commitment_update(
                actor=request.user, commitment=commitment, text=request.POST.get("text", "")
            )
    except ValidationError as exc:
        return _mine_refused(request, _board_person(request), _errors(exc))
    messages.success(request, _("承诺已更新。"))
    return redirect("village:party_mine")


@login_required
@require_POST
def visit_add(request):
    villager = _board_person(request)
    household = get_object_or_404(
        Household, pk=request.POST.get("household") or 0, village_id=villager.village_id
    )
    try:
        visited_on = date.fromisoformat(request.POST.get("visited_on", ""))
        services.visit_note_record(
            actor=request.user,
            household=household,
            visited_on=visited_on,
            text=request.POST.get("text", ""),
        )
    except ValueError:
        return _mine_refused(request, villager, _("请填写走访日期。"))
    except ValidationError as exc:
        return _mine_refused(request, villager, _errors(exc))
    messages.success(request, _("走访记录已保存。"))
    return redirect("village:party_mine")


# --- the secretary's page ---------------------------------------------------------------------


def _managed_village(request, village_code) -> Village:
    village = get_object_or_404(Village, code=village_code)
    if not permissions.can(request.user, Action.VIEW_VILLAGE, village):
        raise Http404
    if not (
        permissions.can(request.user, Action.PARTY_LINK_MANAGE, village)
        or permissions.can(request.user, Action.PARTY_FULFILMENT, village)
    ):
        raise PermissionDenied(_("您没有权限执行此操作。"))
    return village


def _manage_context(request, village: Village) -> dict:
    today = timezone.localdate()
    year = request.GET.get("year", "")
    year = (
        int(year)
        if year.isascii() and year.isdigit() and 2000 <= int(year) <= today.year + 1
        else today.year
    )
    may_link = permissions.can(request.user, Action.PARTY_LINK_MANAGE, village)
    return {
        "village": village,
        "today": today,
        "year": year,
        "may_link": may_link,
        "may_note": permissions.can(request.user, Action.PARTY_FULFILMENT, village),
        "fulfilments": Fulfilment.choices,
        "links": list(selectors.links_of(village)[:200]) if may_link else [],
        "members": selectors.board_of(village, today) if may_link else [],
        "areas": list(selectors.areas_for_links(village)) if may_link else [],
        "visits": list(selectors.visits_of(village)[:100])
        if permissions.can(request.user, Action.PARTY_VISITS_VIEW, village)
        else [],
        "sets": list(selectors.commitment_sets_of_village(village, year)),
    }


@login_required
@require_safe
def manage(request, village_code):
    village = _managed_village(request, village_code)
    return render(request, "village/party_manage.html", _manage_context(request, village))


def _manage_refused(request, village, message):
    context = _manage_context(request, village)
    context["error"] = message
    return render(request, "village/party_manage.html", context, status=400)


def _link_target(village, post) -> tuple[Household | None, Grid | None]:
    number = (post.get("household") or "").strip()
    household = Household.objects.filter(village=village, number=number).first() if number else None
    if number and household is None:
        raise ValidationError(_("本村没有户号为 %(n)s 的户。") % {"n": number})
    area_id = post.get("area") or ""
    area = None
    if area_id:
        area = Grid.objects.filter(village=village, level=GridLevel.AREA, pk=area_id).first()
        if area is None:
            raise ValidationError(_("请选择本村的一个片区。"))
    return household, area


@login_required
@require_POST
def link_add(request, village_code):
    village = _managed_village(request, village_code)
    try:
        member = Villager.objects.filter(village=village, pk=request.POST.get("member") or 0)
        member = member.first()
        if member is None:
            raise ValidationError(_("请选择包联的党员或村干部。"))
        household, area = _link_target(village, request.POST)
        start = date.fromisoformat(request.POST.get("start") or timezone.localdate().isoformat())
        services.party_link_create(
            actor=request.user,
            village=village,
            member=member,
            household=household,
            area=area,
            start=start,
            note=request.POST.get("note", ""),
        )
    except ValueError:
        return _manage_refused(request, village, _("日期格式不正确。"))
    except ValidationError as exc:
        return _manage_refused(request, village, _errors(exc))
    messages.success(request, _("包联已安排。"))
    return redirect("village:party_manage", village_code=village.code)


@login_required
@require_POST
def link_end(request, link_id):
    link = get_object_or_404(PartyLink.objects.select_related("village"), pk=link_id)
    village = _managed_village(request, link.village.code)
    try:
        end = date.fromisoformat(request.POST.get("end") or timezone.localdate().isoformat())
        services.party_link_end(actor=request.user, link=link, end=end)
    except ValueError:
        return _manage_refused(request, village, _("日期格式不正确。"))
    except ValidationError as exc:
        return _manage_refused(request, village, _errors(exc))
    messages.success(request, _("包联已结束。"))
    return redirect("village:party_manage", village_code=village.code)


@login_required
@require_POST
def fulfilment(request, set_id):
    commitment_set = get_object_or_404(CommitmentSet.objects.select_related("village"), pk=set_id)
    village = _managed_village(request, commitment_set.village.code)
    try:
        services.commitment_fulfilment_note(
            actor=request.user,
            commitment_set=commitment_set,
            fulfilment=request.POST.get("fulfilment", ""),
            note=request.POST.get("note", ""),
        )
    except ValidationError as exc:
        return _manage_refused(request, village, _errors(exc))
    messages.success(request, _("评议已保存。"))
    url = reverse("village:party_manage", kwargs={"village_code": village.code})
    return redirect(f"{url}?year={commitment_set.year}")


# --- 我的户: 我的包联党员 -----------------------------------------------------------------------


def me_section(request, household, villager_id) -> str:
    """The household's 包联 members on 我的户 (one query); empty when nobody serves it."""
    contacts = selectors.contacts_of(household, timezone.localdate())
    if not contacts:
        return ""
    return render_to_string(
        "village/_party_contacts.html", {"contacts": contacts, "household": household}, request
    )
