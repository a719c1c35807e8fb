"""The demo's 党员亮身份 builder (village/demo/party.py), run on a small village: every member and
cadre gets a card, each member commitments of this year and the last (the last noted), areas and
households get their 包联 member, a few visits are noted — all in the chain, which stays intact."""

import pytest
from django.utils import timezone

from tests.support.party_world import build_party_world
from village import audit
from village.demo.party import build_party
from village.models import CommitmentSet, PartyCard, PartyLink, VisitNote


@pytest.fixture
def world(db):
    return build_party_world()


def test_demo_builds_the_board_commitments_links_and_visits(client, world):
    PartyLink.objects.all().update(end=timezone.localdate())  # the world's own end today
    build_party(world.village, first_household=world.plain.household)
    today = timezone.localdate()
    on_board = {"secretary", "branch", "officer", "member", "probationary"}
    assert set(PartyCard.objects.values_list("villager__name", flat=True)) >= {
        world.people[k].name for k in on_board
    }
    members = 3 + 1  # secretary, branch, member (full) and one probationary
    assert CommitmentSet.objects.filter(year=today.year).count() == members
    last = CommitmentSet.objects.filter(year=today.year - 1)
    assert last.count() == members and all(s.is_noted for s in last)
    assert PartyLink.objects.filter(household=world.plain.household, end__isnull=True).exists()
    assert VisitNote.objects.exists()
    assert audit.verify_chain(audit.chain_key(village=world.village)) is None
    board = client.get(f"/party/{world.village.code}/").content.decode()
    assert "已兑现" in board or "基本兑现" in board
    client.force_login(world.users["plain"])
    assert "我的包联党员" in client.get("/me/").content.decode()
