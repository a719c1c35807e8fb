"""The household card's token: signed, so a number cannot be guessed into another household."""

import pytest
from django.core import signing
from django.http import Http404

from points.cards import CARD_SALT, card_household, card_token, card_url


def test_a_token_names_its_household(points_world):
    assert card_household(card_token(points_world.h[2])) == points_world.h[2]


def test_each_household_has_its_own_token(points_world):
    assert card_token(points_world.h[1]) != card_token(points_world.h[2])


@pytest.mark.parametrize("token", ["", "garbage", "1"])
def test_a_token_not_signed_by_us_is_404(points_world, token):
    with pytest.raises(Http404):
        card_household(token)


def test_a_token_signed_with_another_salt_is_404(points_world):
    forged = signing.dumps(points_world.h[1].pk, salt="something-else", compress=True)
    with pytest.raises(Http404):
        card_household(forged)


def test_a_token_for_a_household_that_is_gone_is_404(points_world):
    token = signing.dumps(10**9, salt=CARD_SALT, compress=True)
    with pytest.raises(Http404):
        card_household(token)


def test_the_card_url_is_public_and_opens_the_card_view(points_world, settings, client):
    settings.CUNZHI_PUBLIC_URL = "https://cun.example.cn/"
    url = card_url(points_world.h[1])
    assert url.startswith("https://cun.example.cn/") and "//" not in url.removeprefix("https://")
    path = url.removeprefix("https://cun.example.cn")
    client.force_login(points_world.resident)
    assert client.get(path).status_code == 302  # the household's own page
