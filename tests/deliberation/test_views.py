"""The villagers' screens: the web vote and its receipt, and the published receipt list."""

import json
import re

from django.contrib.sessions.models import Session
from django.urls import reverse

from deliberation import services
from deliberation.models import Ballot, BallotMode, SealedBallot


def sessions_text() -> str:
    """Every stored session, decoded: what the database keeps next to each user."""
    return "\n".join(json.dumps(s.get_decoded(), ensure_ascii=False) for s in Session.objects.all())


def test_a_secret_web_vote_keeps_nothing_of_the_choice_in_the_sessions(client, proc, people):
    matter = proc.to_vote(ballot_mode=BallotMode.SECRET)
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
    # Coming back later: voted, no receipt to show again.
    again = client.get(reverse("deliberation:matter", args=[matter.pk])).content.decode()
    assert "您已经投过票了。" in again
    assert 'data-testid="receipt"' not in again

    # The vote is sealed until the count; then it is an anonymous ballot with that receipt.
    assert SealedBallot.objects.filter(meeting__matter=matter).count() == 1
    proc.close_vote(matter)
    ballot = Ballot.cast.get(meeting__matter=matter, voter__isnull=True)
    assert (ballot.choice, ballot.receipt) == ("abstain", code)


def test_an_open_web_vote_shows_its_receipt_after_the_redirect(client, proc, people):
    matter = proc.to_vote(ballot_mode=BallotMode.OPEN)
    client.force_login(people["r2"].user)
    response = client.post(reverse("deliberation:vote", args=[matter.pk]), {"choice": "no"})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    ballot = Ballot.cast.get(meeting__matter=matter, voter=people["r2"])
    assert 'data-testid="receipt"' in page
    assert "您的选择：<strong>反对</strong>" in page
    assert ballot.receipt in page
    # Shown once.
    page = client.get(response["Location"]).content.decode()
    assert 'data-testid="receipt"' not in page and "您已经投过票了。" in page


def test_a_refused_secret_vote_is_an_error_message_and_no_receipt(client, proc, people):
    matter = proc.to_vote(ballot_mode=BallotMode.SECRET)
    client.force_login(people["r1"].user)
    url = reverse("deliberation:vote", args=[matter.pk])
    client.post(url, {"choice": "yes"})
    response = client.post(url, {"choice": "no"}, follow=True)
    page = response.content.decode()
    assert "每人每次表决只能投一票" in page
    assert 'data-testid="receipt"' not in page
    assert SealedBallot.objects.filter(meeting__matter=matter).count() == 1


def test_the_receipt_list_names_each_choice_in_chinese(client, proc, people):
    matter = proc.to_vote(ballot_mode=BallotMode.SECRET)
    for label, choice in (("r1", "yes"), ("r2", "no"), ("r3", "abstain")):
        services.vote_cast(actor=people[label].user, matter=matter, choice=choice)
    proc.close_vote(matter)
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
