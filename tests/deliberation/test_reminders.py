"""The vote through the outbox: opening it tells everyone on its voter list; a day before it
closes, those on the list who have not voted get one reminder each — nobody else, and nobody
learns of anyone else's."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from deliberation import selectors
from deliberation.models import Attendance
from deliberation.services.reminders import votes_closing_remind
from village.models import AuditEvent, Channel, Delivery, Notification

pytestmark = pytest.mark.django_db


def _told(key):
    n = Notification.objects.get(key=key)
    return n, set(
        Delivery.objects.filter(notification=n, channel=Channel.INBOX).values_list(
            "villager_id", flat=True
        )
    )


def _listed_with_accounts(meeting):
    return set(
        Attendance.objects.filter(meeting=meeting, villager__user__isnull=False).values_list(
            "villager_id", flat=True
        )
    )


def test_opening_a_vote_tells_its_voter_list(deliberation_world, procedure):
    matter = procedure.to_vote()
    meeting = selectors.current_vote_meeting(matter)
    n, told = _told(f"vote-opened:{meeting.pk}")
    assert told == _listed_with_accounts(meeting) and told
    assert n.url == f"/matters/{matter.pk}/" and matter.title in n.title
    assert n.send_after == max(meeting.vote_opens_at, n.created_at)  # not before it opens
    assert AuditEvent.objects.filter(action="village.notification.send", object_id=str(n.pk))


def test_a_vote_closing_within_a_day_reminds_only_those_who_have_not_voted_once(
    deliberation_world, procedure, people
):
    now = timezone.now()
    matter = procedure.steps_1_to_3(procedure.create("村道硬化筹资筹劳方案"))
    procedure.open_vote(matter, closes_at=now + timedelta(hours=30))
    matter.refresh_from_db()
    meeting = selectors.current_vote_meeting(matter)
    listed = _listed_with_accounts(meeting)
    voted = [v for v in (people[k] for k in people) if v.pk in listed][:2]
    for person in voted:
        procedure.vote(matter, person)
    # More than a day left: no reminder yet.
    assert votes_closing_remind(now=now) == 0
    assert votes_closing_remind(now=now + timedelta(hours=7)) == 1
    _n, reminded = _told(f"vote-closing:{meeting.pk}")
    assert reminded == listed - {v.pk for v in voted}
    # Once: running again (cron, hourly) tells no one twice.
    before = Delivery.objects.count()
    votes_closing_remind(now=now + timedelta(hours=8))
    call_command("remind_votes", stdout=open("/dev/null", "w"))
    assert Delivery.objects.count() == before
    assert Notification.objects.filter(key=f"vote-closing:{meeting.pk}").count() == 1


def test_a_closed_vote_is_not_reminded(deliberation_world, procedure):
    now = timezone.now()
    matter = procedure.steps_1_to_3(procedure.create("村集体经济项目"))
    procedure.open_vote(matter, closes_at=now + timedelta(hours=2))
    matter.refresh_from_db()
    meeting = selectors.current_vote_meeting(matter)
    assert votes_closing_remind(now=now + timedelta(hours=3)) == 0
    assert not Notification.objects.filter(key=f"vote-closing:{meeting.pk}").exists()


def test_an_answered_objection_tells_the_one_who_objected(deliberation_world, procedure, people):
    from deliberation import services

    resolved = procedure.to_vote()
    procedure.resolve(resolved)
    publication = procedure.publish(resolved)
    objection = services.objection_file(
        actor=people["x4"].user, publication=publication, text="租金偏低，建议重新评估。"
    )
    services.objection_answer(
        actor=procedure.actor, objection=objection, answer="租金经第三方评估，高于周边水平。"
    )
    n, told = _told(f"matter-objection:{objection.pk}")
    assert told == {people["x4"].pk}
    assert n.url == f"/matters/{resolved.pk}/" and n.body.startswith("租金经第三方评估")
