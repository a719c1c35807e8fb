"""The household card's QR: a signed token naming the household (so numbers can't be guessed
into someone else's page) and the public URL it opens. Printed by documents, read by views."""

from django.conf import settings
from django.core import signing
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse

from village.models import Household

CARD_SALT = "points.household-card"


def card_token(household: Household) -> str:
    """What the household card's QR carries: the household, signed."""
    return signing.dumps(household.pk, salt=CARD_SALT, compress=True)


def card_household(token: str) -> Household:
    """The household a card's token names; 404 for a token not signed by us."""
    try:
        pk = signing.loads(token, salt=CARD_SALT)
    except signing.BadSignature as exc:
        raise Http404 from exc
    return get_object_or_404(Household.objects.select_related("village", "head"), pk=pk)


def card_url(household: Household) -> str:
    """The full public URL the card's QR opens."""
    path = reverse("points:card", args=[card_token(household)])
    return f"{settings.CUNZHI_PUBLIC_URL.rstrip('/')}{path}"
