"""随手拍 services: report lands with the area's officer and a deadline from the rule set; accept,
handle, confirm and rate, reopen; escalation to the secretary then the township; every step in
the trail and the chain; who may do what; bad input writes nothing."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from grid import selectors, services
from grid.models import EventStatus, EventStep, GridEvent, StepKind
from tests.support.clock import travel
from tests.support.points_world import photo
from tests.support.rules import amend
from village.models import AuditEvent, Delivery, Villager
from village.permissions import villager_of


@pytest.fixture
def w(points_world):
    return points_world


def report(w, actor=None, **fields):
    fields.setdefault("category", "environment")
    fields.setdefault("text", "村口排水沟堵了，雨天积水")
    fields.setdefault("place", "村口石桥旁")
    return services.event_report(actor=actor or w.resident, village=w.village, **fields)


def chain(event):
    return list(
        AuditEvent.objects.filter(object_id=str(event.pk), action__startswith="grid.event.")
        .order_by("pk")
        .values_list("action", flat=True)
    )


def test_a_report_lands_with_the_area_officer_due_by_the_rule_set(w):
    before = timezone.now()
    event = report(w, photo=photo())
    assert event.area == w.area1  # the reporter's household's area
    assert event.officer == w.officer
    assert event.status == EventStatus.REPORTED
    assert event.reporter == villager_of(w.resident)
    assert before + timedelta(hours=72) <= event.due_at <= timezone.now() + timedelta(hours=72)
    assert event.township_at == event.due_at + timedelta(hours=72)
    assert event.photo.name.startswith("grid/events/reported/")
    assert [s.kind for s in event.steps.all()] == [StepKind.REPORT]
    assert chain(event) == ["grid.event.report"]
    # The officer is told through the outbox.
    officer = Villager.objects.get(user=w.officer)
    assert Delivery.objects.filter(
        notification__key=f"grid-event:{event.pk}", villager=officer
    ).exists()


def test_a_safety_hazard_is_urgent_with_the_shorter_deadline(w):
    amend(w.village, event_urgent_hours=12)
    event = report(w, category="safety", text="电线杆倾斜，随时可能倒")
    assert event.urgent
    assert event.due_at - event.reported_at == timedelta(hours=12)


def test_another_area_goes_to_that_areas_officer_or_waits_for_the_secretary(w):
    event = report(w, area=w.area2)
    assert event.area == w.area2
    assert event.officer is None  # 西片 has no officer: the secretary's list shows it


def test_the_whole_way_report_accept_handle_confirm(w):
    event = report(w)
    services.event_accept(actor=w.officer, event=event)
    services.event_handle(
        actor=w.officer, event=event, note="已清掏排水沟，疏通完毕", after_photo=photo("after.png")
    )
    event.refresh_from_db()
    assert event.status == EventStatus.HANDLED and event.after_photo
    resident = villager_of(w.resident)
    assert Delivery.objects.filter(
        notification__key__startswith=f"grid-event-handled:{event.pk}:", villager=resident
    ).exists()
    services.event_confirm(actor=w.resident, event=event, rating=5, note="很及时")
    event.refresh_from_db()
    assert (event.status, event.rating) == (EventStatus.CONFIRMED, 5)
    assert [s.kind for s in event.steps.order_by("at", "pk")] == [
        StepKind.REPORT,
        StepKind.ACCEPT,
        StepKind.HANDLE,
        StepKind.CONFIRM,
    ]
    assert chain(event) == [
        "grid.event.report",
        "grid.event.accept",
        "grid.event.handle",
        "grid.event.confirm",
    ]
    # Field-level history with the acting user, as for every edited domain model.
    history = list(event.history.order_by("history_date").values_list("status", flat=True))
    assert history == ["reported", "accepted", "handled", "confirmed"]


def test_reopen_sends_it_back_with_fresh_deadlines(w):
    event = report(w)
    services.event_handle(actor=w.officer, event=event, note="已处理")
    later = timezone.now() + timedelta(hours=5)
    with travel(later):
        services.event_reopen(actor=w.resident, event=event, reason="还是堵着")
    event.refresh_from_db()
    assert event.status == EventStatus.ACCEPTED
    assert event.due_at == later + timedelta(hours=72)
    assert event.rating is None
    assert chain(event)[-1] == "grid.event.reopen"
    # A reopened event is handled again and rated then.
    services.event_handle(actor=w.officer, event=event, note="重新清淤")
    services.event_confirm(actor=w.resident, event=event, rating=4)


def test_only_the_reporter_rates_and_only_a_handled_event(w):
    event = report(w)
    with pytest.raises(ValidationError):
        services.event_confirm(actor=w.resident, event=event, rating=5)
    services.event_handle(actor=w.officer, event=event, note="已处理")
    for other in (w.neighbour, w.officer, w.secretary, w.foreign.resident):
        with pytest.raises(PermissionDenied):
            services.event_confirm(actor=other, event=event, rating=1)
    for bad in (0, 6, "x", None):
        with pytest.raises(ValidationError):
            services.event_confirm(actor=w.resident, event=event, rating=bad)
    event.refresh_from_db()
    assert event.status == EventStatus.HANDLED and event.rating is None


def test_only_the_areas_officer_or_a_cadre_handles(w):
    event = report(w, area=w.area2)  # not the officer's grid
    for actor in (w.officer, w.resident, w.neighbour, w.keeper, w.inspector, w.outsider):
        with pytest.raises(PermissionDenied):
            services.event_accept(actor=actor, event=event)
        with pytest.raises(PermissionDenied):
            services.event_handle(actor=actor, event=event, note="x")
    services.event_handle(actor=w.secretary, event=event, note="书记到场协调")
    assert GridEvent.objects.get(pk=event.pk).status == EventStatus.HANDLED


def test_another_villages_people_cannot_report_or_touch_it(w):
    with pytest.raises(PermissionDenied):
        report(w, actor=w.foreign.resident)
    with pytest.raises(PermissionDenied):
        report(w, actor=w.outsider)
    event = report(w)
    with pytest.raises(PermissionDenied):
        services.event_handle(actor=w.foreign.secretary, event=event, note="x")
    assert not selectors.events_for(w.foreign.secretary, w.village).exists()


def test_a_villager_reports_only_in_their_own_name(w):
    with pytest.raises(PermissionDenied):
        report(w, reporter=villager_of(w.neighbour))
    # An officer notes one told in person for a villager of their areas, not beyond them.
    event = report(w, actor=w.officer, reporter=villager_of(w.neighbour))
    assert event.reporter == villager_of(w.neighbour) and event.reported_by == w.officer
    with pytest.raises(PermissionDenied):
        report(w, actor=w.officer, reporter=villager_of(w.secretary))  # area 2
    with pytest.raises(PermissionDenied):
        report(w, actor=w.officer, area=w.area2)


@pytest.mark.parametrize(
    "fields, key",
    [
        ({"category": "nonsense"}, "category"),
        ({"text": "  "}, "text"),
        ({"text": "长" * 501}, "text"),
        ({"place": "地" * 101}, "place"),
        ({"latitude": "91"}, "latitude"),
        ({"longitude": "abc"}, "longitude"),
        ({"latitude": "NaN"}, "latitude"),
        ({"longitude": "Infinity"}, "longitude"),
    ],
)
def test_bad_input_is_refused_with_its_field_and_nothing_written(w, fields, key):
    with pytest.raises(ValidationError) as refused:
        report(w, **fields)
    assert key in refused.value.message_dict
    assert (
        not GridEvent.objects.exists()
        and not AuditEvent.objects.filter(action__startswith="grid.").exists()
    )


def test_a_photo_that_is_not_an_image_is_refused_before_decoding(w):
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("x.png", b"<?php echo 1; ?>" * 10, content_type="image/png")
    with pytest.raises(ValidationError) as refused:
        report(w, photo=fake)
    assert "photo" in refused.value.message_dict
    assert not GridEvent.objects.exists()


def test_an_area_of_another_village_is_refused(w):
    from village.models import Grid

    other = Grid.objects.filter(village=w.foreign.village, level="area").first()
    with pytest.raises(ValidationError):
        report(w, area=other)
    with pytest.raises(ValidationError):
        services.event_reassign(actor=w.secretary, event=report(w), area=other)


def test_the_same_key_twice_reports_once(w):
    first = report(w, idempotency_key="phone-1")
    again = report(w, idempotency_key="phone-1")
    assert first.pk == again.pk
    assert GridEvent.objects.count() == 1 and EventStep.objects.count() == 1
    with pytest.raises(ValidationError):
        report(w, actor=w.neighbour, idempotency_key="phone-1")  # someone else's key


def test_late_events_go_to_the_secretary_then_the_township(w):
    event = report(w)
    assert services.events_escalate() == 0
    with travel(event.due_at + timedelta(minutes=1)):
        assert event.level_at(timezone.now()) == 1
        assert list(selectors.late_events([w.village.pk], level=1)) == [event]
        assert not selectors.late_events([w.village.pk], level=2).exists()
        assert services.events_escalate() == 1
        assert services.events_escalate() == 0  # written once
    secretary = villager_of(w.secretary)
    assert Delivery.objects.filter(
        notification__key__startswith=f"grid-event-late:{event.pk}:", villager=secretary
    ).exists()
    with travel(event.township_at + timedelta(minutes=1)):
        assert list(selectors.late_events([w.village.pk], level=2)) == [event]
        assert services.events_escalate() == 1
    event.refresh_from_db()
    assert event.escalated == 2
    assert chain(event).count("grid.event.escalate") == 2
    # Handled late: off every list.
    services.event_handle(actor=w.officer, event=event, note="已处理")
    with travel(event.township_at + timedelta(days=1)):
        assert not selectors.late_events([w.village.pk], level=1).exists()


def test_reassign_is_for_cadres_and_moves_it_to_the_new_areas_officer(w):
    event = report(w, area=w.area2)
    with pytest.raises(PermissionDenied):
        services.event_reassign(actor=w.officer, event=event, area=w.area1)
    services.event_reassign(actor=w.secretary, event=event, area=w.area1)
    event.refresh_from_db()
    assert (event.area, event.officer) == (w.area1, w.officer)


def test_a_suggestion_and_an_event_are_linked(w):
    from deliberation.services import suggestion_submit

    saying = suggestion_submit(actor=w.neighbour, village=w.village, text="村口排水沟年年堵")
    event = report(w)
    services.event_link(actor=w.officer, event=event, suggestion=saying)
    event.refresh_from_db()
    assert event.suggestion == saying
    assert list(saying.grid_events.all()) == [event]
    assert chain(event)[-1] == "grid.event.link"


def test_lists_each_see_their_own(w):
    mine = report(w)
    other_area = report(w, actor=w.secretary, area=w.area2)
    neighbours = report(w, actor=w.neighbour)
    assert set(selectors.events_for(w.resident, w.village)) == {mine}
    assert set(selectors.events_for(w.officer, w.village)) == {mine, neighbours}
    assert set(selectors.events_for(w.secretary, w.village)) == {mine, other_area, neighbours}
    assert set(selectors.events_for(w.inspector, w.village)) == {mine, other_area, neighbours}
    assert not selectors.events_for(w.outsider, w.village).exists()


def test_counts_by_area_this_month(w):
    a = report(w)
    report(w, actor=w.secretary, area=w.area2)
    services.event_handle(actor=w.officer, event=a, note="已处理")
    rows = {r.area: r for r in selectors.counts_by_area(w.village, timezone.localdate())}
    assert (rows["东片"].handled, rows["东片"].reported) == (1, 0)
    assert (rows["西片"].reported, rows["西片"].total) == (1, 1)
    total = selectors.village_totals(list(rows.values()))
    assert (total.reported, total.handled, total.late) == (1, 1, 0)
    with travel(timezone.now() + timedelta(days=4)):
        rows = {r.area: r for r in selectors.counts_by_area(w.village, timezone.localdate())}
    assert rows["西片"].late == 1


def test_a_handled_event_proposes_points_for_review_never_posted(w):
    from points.models import EntryStatus

    event = report(w)
    with pytest.raises(ValidationError):
        services.event_reward(actor=w.secretary, event=event, rule=w.rules["HJ01"])
    services.event_handle(actor=w.officer, event=event, note="已处理")
    with pytest.raises(PermissionDenied):
        services.event_reward(actor=w.officer, event=event, rule=w.rules["HJ01"])
    with pytest.raises(ValidationError):
        services.event_reward(actor=w.secretary, event=event, rule=w.rules["HJ02"])  # minus
    entry = services.event_reward(actor=w.secretary, event=event, rule=w.rules["HJ01"])
    again = services.event_reward(actor=w.secretary, event=event, rule=w.rules["HJ01"])
    assert entry.pk == again.pk
    assert entry.status == EntryStatus.RECORDED and entry.posted_at is None
    assert entry.account.household == w.h[1]
    assert entry.source.startswith("随手拍：")
    assert AuditEvent.objects.filter(action="points.entry.propose", object_id=str(entry.pk))
    assert chain(event).count("grid.event.reward") == 1


def test_an_event_past_both_deadlines_at_once_still_tells_the_secretary(w):
    event = report(w)
    with travel(event.township_at + timedelta(minutes=1)):
        assert services.events_escalate() == 1
    event.refresh_from_db()
    assert event.escalated == 2
    assert Delivery.objects.filter(
        notification__key__startswith=f"grid-event-late:{event.pk}:",
        villager=villager_of(w.secretary),
    ).exists()


def test_a_supervisor_who_is_also_an_officer_reads_the_whole_village(w):
    from tests.factories import MembershipFactory

    MembershipFactory(villager=villager_of(w.officer), role="supervision")
    from village.permissions import forget_roles

    forget_roles(w.officer)
    elsewhere = report(w, actor=w.secretary, area=w.area2)
    assert elsewhere in set(selectors.events_for(w.officer, w.village))


def test_a_cadres_own_household_proposal_carries_a_recusal_note(w):
    event = report(w, actor=w.secretary, reporter=villager_of(w.secretary))
    services.event_handle(actor=w.secretary, event=event, note="已处理")
    entry = services.event_reward(actor=w.secretary, event=event, rule=w.rules["HJ01"])
    assert entry.recusal_note and "本户的积分建议" in entry.recusal_note
    assert entry.idempotency_key == f"propose:grid-event-{event.pk}"


def test_a_client_cannot_take_a_proposals_key_first(w, client):
    from tests.support.points_api import Api

    api = Api(client)
    event = report(w)
    taken = api.post(
        "/entries",
        w.resident,
        {"rule": "HJ01", "idempotency_key": f"propose:grid-event-{event.pk}"},
    )
    assert taken.status_code == 400 and "系统保留" in taken.json()["message"]
    services.event_handle(actor=w.officer, event=event, note="已处理")
    entry = services.event_reward(actor=w.secretary, event=event, rule=w.rules["HJ01"])
    assert entry.source.startswith("随手拍：")
