"""Villagers' screens: open votes, a matter with its frozen text, the vote and its receipt,
published resolutions, objections during a publication, and 村民说事."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from village import permissions

from . import selectors, services
from .models import Choice, Matter, MatterStatus


def _load(matter_id) -> Matter:
    try:
        return selectors.matter_detail(matter_id)
    except Matter.DoesNotExist as exc:
        raise Http404 from exc


def _get(request, matter_id) -> Matter:
    matter = _load(matter_id)
    if not selectors.may_see(request.user, matter):
        raise Http404
    return matter


@login_required
def matter_list(request):
    villager = permissions.villager_of(request.user)
    matters = list(selectors.matters_for(request.user).prefetch_related("meetings__version")[:100])
    voting = [m for m in matters if m.status == MatterStatus.VOTING]
    publishing = [
        m for m in matters if m.status in (MatterStatus.PUBLISHING, MatterStatus.RESULT_PUBLISHING)
    ]
    others = [m for m in matters if m not in voting and m not in publishing]
    # "去投票" only where the matter page will let them vote: the API's `may_vote` rule, asked
    # for the whole list at once.
    invitations = selectors.vote_invitations(villager, voting)
    for matter in voting:
        matter.invitation = invitations.get(matter.pk, "not_open")
    return render(
        request,
        "deliberation/matter_list.html",
        {"voting": voting, "publishing": publishing, "others": others},
    )


@login_required
def matter_detail(request, matter_id):
    matter = _load(matter_id)
    if selectors.may_see(request.user, matter):
        return _detail(request, matter, receipt=request.session.pop(f"receipt-{matter.pk}", None))
    if selectors.may_follow(request.user, matter):
        return _following(request, matter)
    raise Http404


def _following(request, matter: Matter):
    """The author of the suggestion follows the matter before the vote: its status, its steps
    and what has been published — the text is still a draft, so it is not shown."""
    return render(
        request,
        "deliberation/matter_detail.html",
        {
            "matter": matter,
            "following": True,
            "progress": selectors.matter_progress(matter),
            "publications": list(matter.publications.all()),
        },
    )


def _detail(request, matter: Matter, *, receipt: dict | None, status: int = 200):
    villager = permissions.villager_of(request.user)
    meeting = selectors.vote_meeting(matter)
    eligible = (
        meeting is not None
        and villager is not None
        and meeting.attendance.filter(villager=villager).exists()
    )
    has_voted = selectors.has_voted(matter, villager)
    again = False
    if receipt is None and has_voted:
        # A voter who comes back sees their open (记名) ballot again; a secret one is not kept.
        own = selectors.own_ballot(matter, meeting, villager)
        if own is not None:
            receipt = {
                "receipt": own["receipt"],
                "sha256": own["text_hash"],
                "choice": str(Choice(own["choice"]).label),
            }
            again = True
    receipts = None
    if meeting and matter.ballot_mode == "secret" and meeting.status == "closed":
        receipts = [
            {**row, "choice_label": Choice(row["choice"]).label}
            for row in selectors.receipts(meeting)
        ]
    return render(
        request,
        "deliberation/matter_detail.html",
        {
            "matter": matter,
            "meeting": meeting,
            "eligible": eligible,
            "has_voted": has_voted,
            "receipt": receipt,
            "receipt_again": again,
            "choices": Choice.choices,
            "publication": selectors.open_publication(matter),
            "receipts": receipts,
            "publications": list(matter.publications.all()),
            "progress": selectors.matter_progress(matter),
            "through_proxy": villager is None and permissions.proxy_of(request.user) is not None,
        },
        status=status,
    )


@login_required
@require_POST
def vote(request, matter_id):
    matter = _get(request, matter_id)
    try:
        receipt = services.vote_cast(
            actor=request.user, matter=matter, choice=request.POST.get("choice", "")
        )
    except permissions.ProxyRefused as exc:
        # Said on the matter's page, with the status that says it is refused for good.
        messages.error(request, str(exc))
        return _detail(request, matter, receipt=None, status=403)
    except (ValidationError, PermissionDenied) as exc:
        message = "；".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        messages.error(request, message)
        return redirect("deliberation:matter", matter.pk)
    shown = {
        "receipt": receipt["receipt"],
        "sha256": receipt["sha256"],
        "choice": str(Choice(receipt["choice"]).label),
        "cast_at": receipt["cast_at"].isoformat(),
    }
    if receipt["secret"]:
        # Sessions live in the database: a secret choice (or its receipt code, which the receipt
        # list pairs with the choice) kept there would link the voter to the choice. The receipt
        # is shown in this response only, and nothing may cache it.
        response = _detail(request, _get(request, matter.pk), receipt=shown)
        add_never_cache_headers(response)
        return response
    request.session[f"receipt-{matter.pk}"] = shown
    return redirect("deliberation:matter", matter.pk)


@login_required
@require_POST
def objection(request, matter_id):
    matter = _get(request, matter_id)
    publication = selectors.open_publication(matter)
    try:
        if publication is None:
            raise ValidationError(_("该议题当前没有正在公开的内容。"))
        services.objection_file(
            actor=request.user, publication=publication, text=request.POST.get("text", "")
        )
    except (ValidationError, PermissionDenied) as exc:
        message = "；".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        messages.error(request, message)
    else:
        messages.success(request, _("您的异议已提交，村委会将在公开期内答复。"))
    return redirect("deliberation:matter", matter.pk)


class SuggestionForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("想说的事"), widget=forms.Textarea(attrs={"rows": 4}), max_length=2000
    )
    photo = forms.ImageField(label=gettext_lazy("照片（可不传）"), required=False)


@login_required
def suggestions(request):
    household = permissions.household_of(request.user)
    if household is None:
        raise PermissionDenied
    form = SuggestionForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.suggestion_submit(
                actor=request.user,
                village=household.village,
                text=form.cleaned_data["text"],
                photo=form.cleaned_data.get("photo"),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("已提交，村干部会尽快答复。"))
            return redirect("deliberation:suggestions")
    items = selectors.own_suggestions(request.user)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "deliberation/suggestions.html", {"form": form, "items": items}, status=status
    )
