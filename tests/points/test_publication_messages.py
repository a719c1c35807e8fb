"""The points list and its objections through the outbox: a published month tells the members
of each household with an entry in it; an answered objection tells the one who objected, and no
one else."""

import pytest

from points import services
from village.models import Channel, Delivery, Notification, Villager

pytestmark = pytest.mark.django_db


def _inbox(key):
    n = Notification.objects.get(key=key)
    return n, set(
        Delivery.objects.filter(notification=n, channel=Channel.INBOX).values_list(
            "villager_id", flat=True
        )
    )


def test_a_published_month_tells_the_households_with_entries(points_world, ledger):
    [_entry], publication = ledger.published((points_world.h[1], "HJ01"))
    n, told = _inbox(f"points-publication:{publication.pk}")
    members = set(
        Villager.objects.filter(household=points_world.h[1], user__isnull=False).values_list(
            "pk", flat=True
        )
    )
    assert told == members and members
    assert n.url == "/points/" and f"{publication.month:%Y-%m}" in n.title


def test_an_answered_objection_tells_the_one_who_objected(points_world, ledger):
    [entry], _publication = ledger.published((points_world.h[1], "HJ01"))
    objection = services.objection_file(actor=points_world.neighbour, entry=entry, text="不属实")
    services.objection_answer(
        actor=points_world.committee, objection=objection, upheld=False, answer="经核实属实"
    )
    n, told = _inbox(f"points-objection:{objection.pk}")
    assert told == {objection.villager_id}
    assert n.body == "经核实属实" and "异议不成立" in n.title


def test_a_list_closing_within_a_day_reminds_its_households_once(points_world, ledger):
    import io
    from datetime import timedelta

    from django.core.management import call_command

    from points.services.publications import publications_closing_remind

    [_entry], publication = ledger.published((points_world.h[1], "HJ01"))
    ends = publication.objection_ends_at
    # More than a day left: no reminder yet.
    assert publications_closing_remind(now=ends - timedelta(days=2)) == 0
    assert publications_closing_remind(now=ends - timedelta(hours=20)) == 1
    n, told = _inbox(f"points-closing:{publication.pk}")
    members = set(
        Villager.objects.filter(household=points_world.h[1], user__isnull=False).values_list(
            "pk", flat=True
        )
    )
    assert told == members and "异议" in n.body
    # Once: again, or from the command, tells no one more; a closed window, nothing.
    sent = Delivery.objects.count()
    publications_closing_remind(now=ends - timedelta(hours=2))
    call_command("remind_publications", stdout=io.StringIO())
    assert Notification.objects.filter(key__startswith="points-closing:").count() == 1
    assert Delivery.objects.count() == sent
    assert publications_closing_remind(now=ends + timedelta(minutes=1)) == 0
