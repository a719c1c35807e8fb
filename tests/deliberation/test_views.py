"""The villagers' screens: the web vote and its receipt, and the published receipt list."""

import json
import re

from django.contrib.sessions.models import Session
from django.urls import reverse

from deliberation import selectors, services
from deliberation.models import Ballot, BallotMode, SealedBallot
from tests.deliberation.test_api import Api


def sessions_text() -> str:
    """Every stored session, decoded: what the database keeps next to each user."""
    return "\n".join(json.dumps(s.get_decoded(), ensure_ascii=False) for s in Session.objects.all())


def test_a_secret_web_vote_keeps_nothing_of_the_choice_in_the_sessions(client, procedure, people):
    matter = procedure.to_vote(ballot_mode=BallotMode.SECRET)
    voter = people["r1"]
    client.force_login(voter.user)
    response = client.post(reverse("deliberation:vote", args=[matter.pk]), {"choice": "abstain"})

    # The receipt is shown in the answer to the vote itself, with the choice, once.
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="receipt"' in page
    assert "投票成功" in page and "弃权" in page
    code = re.search(r'data-testid="receipt-code">(\w+)<', page).group(1)
    assert "no-store" in response["Cache-Control"]

    # Nothing in django_session leads from the voter to the choice: neither the choice nor the
    # receipt code, which the published receipt list pairs with the choice.
    assert Session.objects.exists()
    stored = sessions_text()
    for trace in ("abstain", "弃权", code, "receipt"):
        assert trace not in stored, trace
    assert "回执码只显示这一次" in page  # the receipt says how a secret vote's code works
    assert "这是记名投票" not in page
    # Coming back later: voted, no receipt to show again — and the page says why.
    again = client.get(reverse("deliberation:matter", args=[matter.pk])).content.decode()
    assert "您已经投过票了。" in again
    assert 'data-testid="receipt"' not in again and code not in again
    assert 'data-testid="receipt-once"' in again and "无法把您和您的选择对应起来" in again

    # The vote is sealed until the count; then it is an anonymous ballot with that receipt.
    assert SealedBallot.objects.filter(meeting__matter=matter).count() == 1
    procedure.close_vote(matter)
    ballot = Ballot.cast.get(meeting__matter=matter, voter__isnull=True)
    assert (ballot.choice, ballot.receipt) == ("abstain", code)


def test_an_open_web_vote_shows_its_receipt_after_the_redirect(client, procedure, people):
    matter = procedure.to_vote(ballot_mode=BallotMode.OPEN)
    client.force_login(people["r2"].user)
    response = client.post(reverse("deliberation:vote", args=[matter.pk]), {"choice": "no"})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    ballot = Ballot.cast.get(meeting__matter=matter, voter=people["r2"])
    assert 'data-testid="receipt"' in page
    assert "您的选择：<strong>反对</strong>" in page
    assert ballot.receipt in page
    assert "这是记名投票" in page and "无记名" not in page  # the wording of an open vote
    # A villager who comes back finds their open ballot's receipt again, any time.
    page = client.get(response["Location"]).content.decode()
    assert "您已经投过票了。" in page
    assert 'data-testid="receipt"' in page and "您的投票" in page
    assert ballot.receipt in page and "您的选择：<strong>反对</strong>" in page
    # Only their own: another voter of the same matter sees their own receipt, not this one.
    client.force_login(people["r3"].user)
    client.post(reverse("deliberation:vote", args=[matter.pk]), {"choice": "yes"})
    page = client.get(response["Location"]).content.decode()
    mine = Ballot.cast.get(meeting__matter=matter, voter=people["r3"])
    assert mine.receipt in page and ballot.receipt not in page


def test_the_vote_list_invites_only_those_on_the_voter_list(client, procedure, people):
    matter = procedure.to_vote(ballot_mode=BallotMode.OPEN)
    meeting = selectors.current_vote_meeting(matter)
    listed = set(meeting.attendance.values_list("villager_id", flat=True))
    outsider = next(v for v in people.values() if v.pk not in listed and v.user_id)
    url = reverse("deliberation:list")

    def card(person):
        client.force_login(person.user)
        page = client.get(url).content.decode()
        return re.search(r'data-invitation="(\w+)"', page).group(1), page

    state, page = card(outsider)
    assert state == "not_listed" and "去投票" not in page
    assert "您不在本次表决的名单中" in page
    # The API says the same through `may_vote`.
    api = Api(client)
    [item] = [m for m in api.get("/matters", outsider.user).json() if m["id"] == matter.pk]
    assert item["may_vote"] is False
    state, page = card(people["r2"])
    assert state == "invited" and "去投票" in page
    services.vote_cast(actor=people["r2"].user, matter=matter, choice="yes")
    state, page = card(people["r2"])
    assert state == "voted" and "去投票" not in page and "您已投票" in page


def test_a_refused_secret_vote_is_an_error_message_and_no_receipt(client, procedure, people):
    matter = procedure.to_vote(ballot_mode=BallotMode.SECRET)
    client.force_login(people["r1"].user)
    url = reverse("deliberation:vote", args=[matter.pk])
    client.post(url, {"choice": "yes"})
    response = client.post(url, {"choice": "no"}, follow=True)
    page = response.content.decode()
    assert "每人每次表决只能投一票" in page
    assert 'data-testid="receipt"' not in page
    assert SealedBallot.objects.filter(meeting__matter=matter).count() == 1


def test_the_receipt_list_names_each_choice_in_chinese(client, procedure, people):
    matter = procedure.to_vote(ballot_mode=BallotMode.SECRET)
    for label, choice in (("r1", "yes"), ("r2", "no"), ("r3", "abstain")):
        services.vote_cast(actor=people[label].user, matter=matter, choice=choice)
    procedure.close_vote(matter)
    client.force_login(people["r4"].user)
    page = client.get(reverse("deliberation:matter", args=[matter.pk])).content.decode()
    listing = re.search(r'<ul class="receipts">(.*?)</ul>', page, re.S).group(1)
    items = re.findall(r"<li><code>(\w+)</code>\s*(\S+?)</li>", listing)
    expected = dict(
        Ballot.cast.filter(meeting__matter=matter, receipt__isnull=False).values_list(
            "receipt", "choice"
        )
    )
    labels = {"yes": "赞成", "no": "反对", "abstain": "弃权"}
    assert dict(items) == {code: labels[choice] for code, choice in expected.items()}
    for raw in ("yes", "no", "abstain"):
        assert raw not in listing
