"""志愿服务 services: posting, sign-up and withdrawal against the capacity, check-in by code,
card and list (walk-ins, twice is once), closing with hours and corrections, one proposed
志愿服务 entry per household that waits for the committee's review, and the guards."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection, transaction

from grid import volunteer_selectors as selectors
from grid.models import (
    ActivityStatus,
    SignupStatus,
    VolunteerActivity,
    VolunteerAttendance,
    VolunteerHours,
    VolunteerProposal,
)
from grid.services import volunteering as services
from points.cards import card_token
from points.models import Entry, EntryStatus
from tests.grid.volunteering_world import at, check_in, close, post_activity, sign_up, start_of
from tests.support.points_world import actions, reload
from village.permissions import villager_of

pytestmark = pytest.mark.django_db


def test_cadres_post_an_activity_and_the_chain_says_so(points_world):
    w = points_world
    activity = post_activity(w, capacity=20)
    assert activity.status == ActivityStatus.OPEN
    assert activity.organiser == w.officer and activity.rule.code == "ZY01"
    assert activity.minutes == 180
    assert actions(w.village)[-1] == "grid.volunteer.create"


@pytest.mark.parametrize("who", ["resident", "officer", "inspector", "outsider"])
def test_only_the_cadres_post_activities(points_world, who):
    with pytest.raises(PermissionDenied):
        services.activity_create(
            actor=getattr(points_world, who),
            village=points_world.village,
            title="清理河道",
            place="河边",
            starts_at=start_of(points_world) + timedelta(days=60),
            ends_at=start_of(points_world) + timedelta(days=60, hours=2),
            capacity=5,
            organiser=points_world.officer,
            rule=points_world.rules["ZY01"],
        )
    assert not VolunteerActivity.objects.exists()


@pytest.mark.parametrize(
    "change, field",
    [
        ({"title": "  "}, "title"),
        ({"ends_at": -1}, "ends_at"),
        ({"ends_at": 30}, "ends_at"),
        ({"capacity": 0}, "capacity"),
        ({"rule": "HJ01"}, "rule"),
        ({"rule": "foreign"}, "rule"),
        ({"organiser": "foreign"}, "organiser"),
        ({"organiser": "inspector"}, "organiser"),
    ],
)
def test_bad_activities_are_refused_with_the_reason(points_world, change, field):
    w = points_world
    start = start_of(w) + timedelta(days=60)
    fields = {
        "title": "清理河道",
        "place": "河边",
        "starts_at": start,
        "ends_at": start + timedelta(hours=2),
        "capacity": 5,
        "organiser": w.officer,
        "rule": w.rules["ZY01"],
    }
    fields.update(change)
    if change.get("ends_at") is not None:
        fields["ends_at"] = start + timedelta(hours=change["ends_at"])
    fields["rule"] = {"HJ01": w.rules["HJ01"], "foreign": w.foreign.rules["ZY01"]}.get(
        change.get("rule"), fields["rule"]
    )
    fields["organiser"] = {"foreign": w.foreign.resident, "inspector": w.inspector}.get(
        change.get("organiser"), fields["organiser"]
    )
    with pytest.raises(ValidationError) as caught:
        services.activity_create(actor=w.secretary, village=w.village, **fields)
    assert field in caught.value.message_dict
    assert not VolunteerActivity.objects.exists()


def test_the_last_place_goes_to_one_villager_and_a_withdrawal_frees_it(points_world):
    w = points_world
    activity = post_activity(w, capacity=2)
    sign_up(w, activity, w.resident, w.neighbour)
    with at(w, -24), pytest.raises(ValidationError) as caught:
        services.activity_signup(actor=w.secretary, activity=activity)
    assert "名额已满" in caught.value.messages[0]
    with at(w, -24):
        again = services.activity_signup(actor=w.resident, activity=activity)  # nothing new
        assert again.status == SignupStatus.SIGNED
        services.activity_withdraw(actor=w.neighbour, activity=activity)
        services.activity_signup(actor=w.secretary, activity=activity)
    assert selectors.activity_for(w.secretary, activity.pk).taken == 2
    assert actions(w.village).count("grid.volunteer.signup") == 3
    assert actions(w.village).count("grid.volunteer.withdraw") == 1


def test_signing_up_closes_when_the_activity_starts(points_world):
    w = points_world
    activity = post_activity(w)
    with at(w, 0.1), pytest.raises(ValidationError, match="报名已截止"):
        services.activity_signup(actor=w.resident, activity=activity)
    sign_up(w, activity, w.resident)
    with at(w, 0.1), pytest.raises(ValidationError, match="不能再取消报名"):
        services.activity_withdraw(actor=w.resident, activity=activity)


@pytest.mark.parametrize("who", ["inspector", "outsider"])
def test_only_villagers_of_the_village_sign_up(points_world, who):
    activity = post_activity(points_world)
    with at(points_world, -24), pytest.raises(PermissionDenied):
        services.activity_signup(actor=getattr(points_world, who), activity=activity)


def test_a_villager_of_another_village_cannot_sign_up(points_world):
    activity = post_activity(points_world)
    with at(points_world, -24), pytest.raises(PermissionDenied):
        services.activity_signup(actor=points_world.foreign.resident, activity=activity)


def test_check_in_by_phone_code_card_and_list_and_twice_is_once(points_world):
    w = points_world
    activity = post_activity(w)
    resident, neighbour = villager_of(w.resident), villager_of(w.neighbour)
    secretary = villager_of(w.secretary)
    sign_up(w, activity, w.resident, w.neighbour, w.secretary)
    kind, found = selectors.read_code(activity, selectors.checkin_token(activity, resident))
    assert (kind, found) == ("villager", resident)
    _a, created = check_in(w, activity, found, method="phone")
    assert created
    url = selectors.checkin_url(selectors.checkin_token(activity, resident))
    _again, created = check_in(w, activity, selectors.read_code(activity, url)[1], method="phone")
    assert not created
    kind, household = selectors.read_code(activity, card_token(w.h[2]))
    assert (kind, household) == ("household", w.h[2])
    check_in(w, activity, neighbour, method="card")
    check_in(w, activity, secretary, method="list")
    assert VolunteerAttendance.objects.filter(activity=activity).count() == 3
    assert actions(w.village).count("grid.volunteer.checkin") == 3


def test_someone_not_signed_up_is_refused_unless_a_walk_in(points_world):
    w = points_world
    activity = post_activity(w)
    neighbour = villager_of(w.neighbour)
    with pytest.raises(ValidationError, match="没有报名该活动"):
        check_in(w, activity, neighbour)
    assert not VolunteerAttendance.objects.exists()
    attendance, created = check_in(w, activity, neighbour, walk_in=True)
    assert created and attendance.walk_in


def test_forged_and_foreign_codes_are_refused(points_world):
    w = points_world
    activity = post_activity(w)
    other = post_activity(w, title="重阳节敬老")
    resident = villager_of(w.resident)
    token = selectors.checkin_token(activity, resident)
    foreign = villager_of(w.foreign.resident)
    for code, reason in [
        (token[:-2] + ("AA" if not token.endswith("AA") else "BB"), "无法识别"),
        (selectors.checkin_token(other, resident), "另一个活动"),
        (selectors.checkin_token(activity, foreign), "不是本村村民"),
        (card_token(w.foreign.household), "不是本村"),
        ("", "请扫描"),
    ]:
        with pytest.raises(selectors.CodeRefused, match=reason):
            selectors.read_code(activity, code)


def test_a_villager_cannot_check_people_in(points_world):
    w = points_world
    activity = post_activity(w)
    sign_up(w, activity, w.neighbour)
    with pytest.raises(PermissionDenied):
        check_in(w, activity, villager_of(w.neighbour), actor=w.resident)
    with pytest.raises(PermissionDenied):
        check_in(w, activity, villager_of(w.neighbour), actor=w.inspector)
    assert not VolunteerAttendance.objects.exists()


def test_check_in_opens_two_hours_before_the_start(points_world):
    w = points_world
    activity = post_activity(w)
    sign_up(w, activity, w.resident)
    with at(w, -3), pytest.raises(ValidationError, match="2 小时"):
        services.activity_check_in(
            actor=w.officer, activity=activity, villager=villager_of(w.resident), method="list"
        )


def test_closing_credits_hours_and_proposes_one_entry_per_household(points_world):
    w = points_world
    activity = post_activity(w)
    sign_up(w, activity, w.resident, w.neighbour, w.secretary)
    for user in (w.resident, w.neighbour, w.secretary):
        check_in(w, activity, villager_of(user))
    # A second volunteer of the resident's household joins on the spot.
    from tests.factories import VillagerFactory

    spouse = VillagerFactory(household=w.h[1], name="东毛铺村配偶")
    check_in(w, activity, spouse, walk_in=True)
    proposals = close(
        w,
        activity,
        corrections={
            villager_of(w.neighbour).pk: (90, "家中有事提前离开"),
            villager_of(w.secretary).pk: (0, "到场后被叫去开会"),
        },
    )
    activity = reload(activity)
    assert activity.status == ActivityStatus.CLOSED and activity.closed_by == w.officer
    hours = {h.villager_id: h for h in VolunteerHours.objects.filter(activity=activity)}
    assert hours[villager_of(w.resident).pk].minutes == 180
    assert hours[spouse.pk].minutes == 180
    assert hours[villager_of(w.neighbour).pk].minutes == 90
    assert hours[villager_of(w.neighbour).pk].correction == "家中有事提前离开"
    assert hours[villager_of(w.secretary).pk].minutes == 0
    # Two households with hours; the secretary's none.
    assert sorted(p.household_id for p in proposals) == [w.h[1].pk, w.h[2].pk]
    first = Entry.objects.get(idempotency_key=f"propose:volunteer-{activity.pk}-{w.h[1].pk}")
    assert first.status == EntryStatus.RECORDED  # waits for the committee's review
    assert first.source == f"志愿服务：{activity.title} 6 小时"
    assert first.rule.code == "ZY01" and first.points == 2
    assert first.occurred_on == w.day
    assert first.recorded_by == w.officer
    second = Entry.objects.get(idempotency_key=f"propose:volunteer-{activity.pk}-{w.h[2].pk}")
    assert second.source == f"志愿服务：{activity.title} 1.5 小时"
    assert Entry.objects.filter(status=EntryStatus.POSTED, rule__code="ZY01").count() == 0
    trail = actions(w.village)
    assert trail[-1] == "grid.volunteer.close"
    assert trail.count("points.entry.propose") == 2


def test_a_household_past_the_rules_cap_is_kept_with_the_reason(points_world, ledger):
    w = points_world
    ledger.record(w.h[1], "ZY01")
    ledger.record(w.h[1], "ZY01")  # ZY01: at most twice a year
    activity = post_activity(w)
    sign_up(w, activity, w.resident, w.neighbour)
    check_in(w, activity, villager_of(w.resident))
    check_in(w, activity, villager_of(w.neighbour))
    proposals = {p.household_id: p for p in close(w, activity)}
    assert proposals[w.h[1].pk].entry is None
    assert "最多计 2 次" in proposals[w.h[1].pk].refused
    assert proposals[w.h[2].pk].entry is not None
    assert VolunteerHours.objects.filter(activity=activity).count() == 2


@pytest.mark.parametrize(
    "minutes, reason, message",
    [
        (-30, "早退", "不能为负数"),
        (241, "多干了一会儿", "不能超过活动时长加 1 小时"),
        (120, "", "须说明原因"),
    ],
)
def test_bad_hours_refuse_the_whole_close(points_world, minutes, reason, message):
    w = points_world
    activity = post_activity(w)
    sign_up(w, activity, w.resident, w.neighbour)
    check_in(w, activity, villager_of(w.resident))
    check_in(w, activity, villager_of(w.neighbour))
    with pytest.raises(ValidationError, match=message):
        close(w, activity, corrections={villager_of(w.neighbour).pk: (minutes, reason)})
    assert reload(activity).status == ActivityStatus.OPEN
    assert not VolunteerHours.objects.exists() and not VolunteerProposal.objects.exists()
    assert not Entry.objects.filter(rule__code="ZY01").exists()


def test_an_hour_over_the_length_with_a_reason_is_credited(points_world):
    w = points_world
    activity = post_activity(w)
    sign_up(w, activity, w.resident)
    check_in(w, activity, villager_of(w.resident))
    close(w, activity, corrections={villager_of(w.resident).pk: (240, "留下收尾清运垃圾")})
    assert VolunteerHours.objects.get().minutes == 240


def test_closing_waits_for_the_end_and_happens_once(points_world):
    w = points_world
    activity = post_activity(w)
    with at(w, 2), pytest.raises(ValidationError, match="活动结束后"):
        services.activity_close(actor=w.officer, activity=activity)
    close(w, activity)
    with pytest.raises(ValidationError, match="已结束登记"):
        close(w, activity)
    with pytest.raises(ValidationError, match="已结束登记"):
        check_in(w, activity, villager_of(w.resident), walk_in=True)


def test_a_villager_cannot_close_an_activity(points_world):
    w = points_world
    activity = post_activity(w)
    with pytest.raises(PermissionDenied):
        close(w, activity, actor=w.resident)
    assert reload(activity).status == ActivityStatus.OPEN


def test_the_proposed_entry_goes_through_review_publication_and_posting(points_world, ledger):
    w = points_world
    activity = post_activity(w)
    sign_up(w, activity, w.neighbour)
    check_in(w, activity, villager_of(w.neighbour))
    (proposal,) = close(w, activity)
    entry = proposal.entry
    ledger.review([entry])
    publication = ledger.publish()
    ledger.close(publication)
    entry = reload(entry)
    assert entry.status == EntryStatus.POSTED and entry.reviewed_by == w.committee


@pytest.mark.parametrize(
    "table", ["grid_volunteerattendance", "grid_volunteerhours", "grid_volunteerproposal"]
)
def test_checkins_hours_and_proposals_are_kept_as_made(points_world, table):
    w = points_world
    activity = post_activity(w)
    sign_up(w, activity, w.resident)
    check_in(w, activity, villager_of(w.resident))
    close(w, activity)
    for sql in (f"UPDATE {table} SET id = id", f"DELETE FROM {table}"):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM grid_volunteersignup")
