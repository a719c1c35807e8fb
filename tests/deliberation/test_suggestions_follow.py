"""村民说事 → 已转为议题: the villager who made the suggestion follows the matter from the link
on their suggestions page, before the vote opens — its status and steps, never its draft."""

import re

import pytest
from django.urls import reverse

from deliberation import services
from deliberation.models import Category

pytestmark = pytest.mark.django_db

DRAFT = "村东头路灯改为太阳能路灯，预算三万元，从集体收益中列支。"


@pytest.fixture
def adopted(deliberation_world, people):
    """x2 says the street lamps are broken; the secretary turns it into a matter (a draft)."""
    suggestion = services.suggestion_submit(
        actor=people["x2"].user, village=deliberation_world.village, text="村东头的路灯坏了半年了。"
    )
    return services.suggestion_adopt(
        actor=deliberation_world.secretary.user,
        suggestion=suggestion,
        title="村东头路灯改造",
        body=DRAFT,
        category=Category.OTHER,
    )


def follow_link(client, user) -> str:
    client.force_login(user)
    page = client.get(reverse("deliberation:suggestions")).content.decode()
    return re.search(r'<a href="([^"]+)">已转为议题：村东头路灯改造</a>', page).group(1)


def steps(page: str) -> list[str]:
    listing = re.search(r'<ol data-testid="progress">(.*?)</ol>', page, re.S).group(1)
    return [re.sub(r"<[^>]+>", "", item) for item in re.findall(r"<li[^>]*>(.*?)</li>", listing)]


def test_the_author_follows_the_adopted_matter_before_the_vote(
    client, deliberation_world, procedure, people, adopted
):
    url = follow_link(client, people["x2"].user)
    assert url == reverse("deliberation:matter", args=[adopted.pk])

    response = client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert "村东头路灯改造" in page and "草拟" in page
    assert steps(page)[0] == "党支部提议 · 进行中"
    # The draft may still change before the vote: not shown, as to any villager.
    assert DRAFT not in page
    assert 'data-testid="following"' in page

    procedure.record(adopted, deliberation_world.branch)
    page = client.get(url).content.decode()
    assert "审议中" in page
    assert steps(page)[:2] == ["党支部提议 · 已完成", "两委商议 · 进行中"]
    assert DRAFT not in page


def test_another_villager_still_gets_404_before_the_vote(
    client, deliberation_world, procedure, people, adopted
):
    procedure.record(adopted, deliberation_world.branch)
    client.force_login(people["x3"].user)
    response = client.get(reverse("deliberation:matter", args=[adopted.pk]))
    assert response.status_code == 404


def test_from_the_vote_on_the_author_reads_the_matter_like_every_villager(
    client, deliberation_world, procedure, people, adopted
):
    procedure.steps_1_to_3(adopted)
    procedure.open_vote(adopted)
    url = follow_link(client, people["x2"].user)
    page = client.get(url).content.decode()
    assert DRAFT in page and 'data-testid="following"' not in page
    assert "村民（代表）会议决议 · 进行中" in steps(page)
    client.force_login(people["x3"].user)
    assert client.get(url).status_code == 200
