"""随手拍 pages: the phone form, the lists, one event with the reader's steps, the village's
counts; the admin home panels of the officer, the secretary and the township; every door of a
step tried by someone who may not take it; the trail kept by the database."""

from datetime import timedelta

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from grid import services
from grid.models import EventStatus, EventStep, GridEvent
from tests.support.clock import travel
from tests.support.points_world import photo


@pytest.fixture
def w(points_world):
    return points_world


def report(w, actor=None, **fields):
    fields.setdefault("category", "environment")
    fields.setdefault("text", "排水沟堵了")
    return services.event_report(actor=actor or w.resident, village=w.village, **fields)


def test_a_villager_reports_from_the_phone_form(w, client):
    client.force_login(w.resident)
    page = client.get(reverse("gridwork:event_new"))
    assert page.status_code == 200 and 'capture="environment"' in page.content.decode()
    sent = client.post(
        reverse("gridwork:event_new"),
        {
            "village": w.village.pk,
            "category": "facility",
            "text": "路灯不亮",
            "place": "后街",
            "photo": photo("lamp.png"),
            "idempotency_key": "form-1",
        },
    )
    event = GridEvent.objects.get()
    assert sent.status_code == 302 and sent["Location"] == reverse(
        "gridwork:event", args=[event.pk]
    )
    assert event.photo and event.area == w.area1
    page = client.get(sent["Location"])
    assert "路灯不亮" in page.content.decode() and "待受理" in page.content.decode()


def test_a_bad_form_answers_400_with_the_message_and_writes_nothing(w, client):
    client.force_login(w.resident)
    from django.core.files.uploadedfile import SimpleUploadedFile

    answer = client.post(
        reverse("gridwork:event_new"),
        {
            "village": w.village.pk,
            "category": "facility",
            "text": "路灯不亮",
            "photo": SimpleUploadedFile("x.png", b"not an image at all", content_type="image/png"),
        },
    )
    assert answer.status_code == 400
    assert "JPEG" in answer.content.decode()
    assert not GridEvent.objects.exists()


def test_the_officer_handles_and_the_villager_rates_through_the_pages(w, client):
    event = report(w)
    client.force_login(w.officer)
    assert "受理" in client.get(reverse("gridwork:event", args=[event.pk])).content.decode()
    client.post(reverse("gridwork:event_accept", args=[event.pk]))
    client.post(
        reverse("gridwork:event_handle", args=[event.pk]),
        {"note": "已清掏", "after_photo": photo("after.png")},
    )
    event.refresh_from_db()
    assert event.status == EventStatus.HANDLED and event.after_photo
    client.force_login(w.resident)
    page = client.get(reverse("gridwork:event", args=[event.pk])).content.decode()
    assert 'data-testid="rate-form"' in page
    client.post(reverse("gridwork:event_confirm", args=[event.pk]), {"rating": "4"})
    event.refresh_from_db()
    assert (event.status, event.rating) == (EventStatus.CONFIRMED, 4)


def test_every_door_of_a_step_is_shut_to_who_may_not_take_it(w, client):
    event = report(w, area=w.area2)  # outside the officer's grid
    doors = [
        ("gridwork:event_accept", {}),
        ("gridwork:event_handle", {"note": "x"}),
        ("gridwork:event_confirm", {"rating": "5"}),
        ("gridwork:event_reward", {"rule": "HJ01"}),
    ]
    for user in (w.officer, w.neighbour, w.foreign.secretary, w.outsider, w.inspector):
        client.force_login(user)
        for name, data in doors:
            answer = client.post(reverse(name, args=[event.pk]), data)
            assert answer.status_code in (302, 403, 404), (user, name)
    event.refresh_from_db()
    assert event.status == EventStatus.REPORTED
    assert EventStep.objects.filter(event=event).count() == 1
    # Nor through the Wagtail admin: no model admin exists for events or steps.
    client.force_login(w.secretary)
    assert client.get(f"/admin/snippets/grid/gridevent/delete/{event.pk}/").status_code == 404


@pytest.mark.parametrize(
    "sql",
    [
        "DELETE FROM grid_eventstep",
        "UPDATE grid_eventstep SET note = 'forged'",
        "DELETE FROM grid_gridevent",
    ],
)
def test_the_trail_is_kept_by_the_database_also_through_raw_sql(w, sql):
    event = report(w)
    services.event_handle(actor=w.officer, event=event, note="已处理")
    with pytest.raises((DatabaseError, IntegrityError)):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    assert EventStep.objects.filter(event=event, note="forged").count() == 0
    assert EventStep.objects.filter(event=event).count() == 3


def _count(client, url) -> int:
    client.get(url)  # warm the session and the roles' cache
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_page_query_counts_are_pinned_whatever_the_lists_length(w, client):
    client.force_login(w.secretary)
    report(w)
    pages = [
        reverse("gridwork:events") + f"?village={w.village.pk}",
        reverse("gridwork:event_summary", args=[w.village.pk]),
        reverse("gridwork:event_new") + f"?village={w.village.pk}",
    ]
    small = [_count(client, url) for url in pages]
    for n in range(8):
        report(w, actor=w.neighbour, text=f"事{n}")
    assert [_count(client, url) for url in pages] == small
    event = GridEvent.objects.order_by("pk").first()
    detail = _count(client, reverse("gridwork:event", args=[event.pk]))
    services.event_handle(actor=w.officer, event=event, note="已处理")
    assert _count(client, reverse("gridwork:event", args=[event.pk])) == detail
    assert (*small, detail) == PINNED


# list, summary, form, detail (session, user, village, rows; the detail adds visibility, the
# steps and the reader's own villager).
PINNED = (4, 5, 6, 6)


def test_the_admin_home_shows_each_role_its_events(w, client):
    mine = report(w)
    late = report(w, actor=w.secretary, area=w.area2, text="西片的路塌了")
    with travel(late.township_at + timedelta(hours=1)):
        client.force_login(w.officer)
        home = client.get("/admin/").content.decode()
        assert 'data-testid="events-mine"' in home and mine.area.name in home
        client.force_login(w.secretary)
        home = client.get("/admin/").content.decode()
        assert 'data-testid="events-late"' in home and "西片的路塌了" in home
        assert 'data-testid="events-unassigned"' in home
        client.force_login(w.inspector)
        home = client.get("/admin/").content.decode()
        assert 'data-testid="events-township"' in home and "西片的路塌了" in home


def test_the_photos_are_fetched_only_by_who_may_see_the_event(w, client):
    event = report(w, photo=photo("drain.png"))
    services.event_handle(actor=w.officer, event=event, note="已处理", after_photo=photo())
    event.refresh_from_db()
    for url in (event.photo.url, event.after_photo.url):
        for user, seen in (
            (w.resident, True),
            (w.officer, True),
            (w.secretary, True),
            (w.inspector, True),
            (w.neighbour, False),
            (w.foreign.secretary, False),
            (w.outsider, False),
        ):
            client.force_login(user)
            answer = client.get(url)
            assert (answer.status_code == 200) is seen, (user, url, answer.status_code)


def test_a_handler_links_a_saying_from_the_events_page(w, client):
    from deliberation.services import suggestion_submit

    saying = suggestion_submit(actor=w.neighbour, village=w.village, text="排水沟年年堵")
    foreign = suggestion_submit(actor=w.foreign.resident, village=w.foreign.village, text="别村")
    event = report(w)
    client.force_login(w.officer)
    link = reverse("gridwork:event_link", args=[event.pk])
    client.post(link, {"suggestion": str(foreign.pk)})
    event.refresh_from_db()
    assert event.suggestion is None  # another village's 说事 is not found
    client.post(link, {"suggestion": str(saying.pk)})
    event.refresh_from_db()
    assert event.suggestion == saying
    client.force_login(w.resident)  # the reporter may not
    client.post(link, {"suggestion": str(saying.pk)})
    assert EventStep.objects.filter(event=event, kind="link").count() == 1


def test_the_admin_homes_panel_reads_the_same_whatever_the_number_of_events(w, client):
    report(w)
    report(w, actor=w.secretary, area=w.area2)
    counts = {}
    for rounds in (1, 2):
        if rounds == 2:
            for n in range(5):
                report(w, actor=w.neighbour, text=f"又一件{n}")
                report(w, actor=w.secretary, area=w.area2, text=f"西片{n}")
        with travel(timezone.now() + timedelta(days=7)):
            for user in (w.officer, w.secretary, w.inspector):
                client.force_login(user)
                client.get("/admin/")
                with CaptureQueriesContext(connection) as captured:
                    client.get("/admin/")
                counts.setdefault(user.username, []).append(len(captured))
    assert all(first == second for first, second in counts.values()), counts


def test_officers_find_the_offline_page_and_villagers_do_not_see_it(w, client):
    offline = reverse("gridwork:offline")
    for user, sees in ((w.officer, True), (w.secretary, True), (w.resident, False)):
        client.force_login(user)
        page = client.get(reverse("gridwork:events") + f"?village={w.village.pk}")
        assert (offline in page.content.decode()) is sees, user
    client.force_login(w.officer)
    assert offline in client.get("/admin/").content.decode()
