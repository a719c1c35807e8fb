"""What the points admin screens share: the villages a screen covers, the row a form names, the
village picked, numbers typed, and how a refused action is told."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from village import permissions

from . import documents
from .views import parse_pk

# What an IntegerField holds on every database; more would fail at the insert, not here.
MAX_INT = 2**31 - 1


def fail(request, exc) -> None:
    """Tell the user why a service refused (its validation messages, or the permission's)."""
    if isinstance(exc, ValidationError):
        messages.error(request, "；".join(exc.messages))
    else:
        messages.error(request, str(exc) or _("您没有权限执行此操作。"))


def villages_for(request, action):
    """The villages where the user may do `action`; 403 when there is none."""
    villages = permissions.visible_villages(request.user, action)
    if not villages.exists():
        raise PermissionDenied
    return villages


def row(queryset, value):
    """The row of `queryset` whose key was posted, or None when the key is missing, malformed
    or not there."""
    pk = parse_pk(value)
    return queryset.filter(pk=pk).first() if pk else None


def village_choice(request, villages):
    """The village picked in ?village=, else the only one, else None (all visible)."""
    picked = request.GET.get("village") or request.POST.get("village")
    if picked:
        village = row(villages, picked)
        if village is None:
            raise Http404
        return village
    return villages.first() if len(villages) == 1 else None


def integer(value, label) -> int:
    """A whole number as typed in a form field named `label`, within an IntegerField's range."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError) as exc:
        raise ValidationError(_("%(label)s须为整数。") % {"label": label}) from exc
    if abs(number) > MAX_INT:
        raise ValidationError(_("%(label)s数值过大。") % {"label": label})
    return number


def posted_year(request) -> int:
    """The year posted with a print form (this year when none), checked like a passbook's."""
    return documents.check_year(request.POST.get("year") or timezone.localdate().year)
