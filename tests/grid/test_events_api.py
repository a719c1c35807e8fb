"""/api/v1/events: 随手拍 with its photo, the caller's list, one event, each step; permissions
(another village's event is a 404, a step the caller may not take a 403), bad input (a 400 with
a message, nothing written), pinned query counts."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from grid import services
from grid.models import EventStatus, EventStep, GridEvent
from tests.support.points_api import Api as BearerApi
from tests.support.points_api import message
from tests.support.points_world import photo
from village.models import AuditEvent


class Api(BearerApi):
    prefix = "/api/v1"

    def post(self, path, user, data=None, *, json=False):
        if json:
            import json as codec

            return self.client.post(
                f"{self.prefix}{path}",
                codec.dumps(data or {}),
                content_type="application/json",
                **self.headers(user),
            )
        return self.client.post(f"{self.prefix}{path}", data or {}, **self.headers(user))


@pytest.fixture
def w(points_world):
    return points_world


@pytest.fixture
def api(client):
    return Api(client)


def sent(w, **fields):
    return {
        "village": w.village.pk,
        "category": "facility",
        "text": "路灯不亮了",
        "place": "后街",
        **fields,
    }


def test_report_with_a_photo_then_the_officer_handles_and_the_villager_rates(w, api):
    answer = api.post("/events", w.resident, sent(w, photo=photo("light.png")))
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["status"] == "reported" and body["area"] == "东片" and body["photo"]
    assert [s["kind"] for s in body["steps"]] == ["report"]
    event_id = body["id"]
    assert api.post(f"/events/{event_id}/accept", w.officer).json()["status"] == "accepted"
    handled = api.post(
        f"/events/{event_id}/handle", w.officer, {"note": "已更换灯泡", "after_photo": photo()}
    )
    assert handled.status_code == 200 and handled.json()["after_photo"]
    rated = api.post(f"/events/{event_id}/confirm", w.resident, {"rating": 5}, json=True)
    assert rated.status_code == 200, rated.content
    assert (rated.json()["status"], rated.json()["rating"]) == ("confirmed", 5)


def test_lists_are_the_callers_own(w, api):
    mine = api.post("/events", w.resident, sent(w)).json()["id"]
    api.post("/events", w.secretary, sent(w, area=w.area2.pk))
    ids = [e["id"] for e in api.get("/events", w.resident, village=w.village.pk).json()["items"]]
    assert ids == [mine]
    assert len(api.get("/events", w.secretary, village=w.village.pk).json()["items"]) == 2
    assert len(api.get("/events", w.officer, village=w.village.pk).json()["items"]) == 1
    assert api.get("/events", w.foreign.resident, village=w.village.pk).status_code == 404


def test_another_villages_event_is_a_404_and_a_step_not_yours_a_403(w, api):
    event_id = api.post("/events", w.resident, sent(w)).json()["id"]
    for user in (w.foreign.resident, w.foreign.secretary, w.outsider):
        assert api.get(f"/events/{event_id}", user).status_code == 404
        assert api.post(f"/events/{event_id}/accept", user).status_code == 404
    # The neighbour cannot see it; the inspector sees it but may not act.
    assert api.get(f"/events/{event_id}", w.neighbour).status_code == 404
    assert api.get(f"/events/{event_id}", w.inspector).status_code == 200
    refused = api.post(f"/events/{event_id}/accept", w.inspector)
    assert refused.status_code == 403 and message(refused)
    assert api.post(f"/events/{event_id}/accept", w.resident).status_code == 403
    assert GridEvent.objects.get(pk=event_id).status == EventStatus.REPORTED


@pytest.mark.parametrize(
    "fields",
    [
        {"category": "nonsense"},
        {"text": ""},
        {"latitude": "200"},
        {"photo": "not-a-file"},
    ],
)
def test_bad_input_is_a_400_with_a_message_and_nothing_written(w, api, fields):
    if fields.get("photo") == "not-a-file":
        from django.core.files.uploadedfile import SimpleUploadedFile

        fields = {"photo": SimpleUploadedFile("a.png", b"GIF89a....", content_type="image/png")}
    answer = api.post("/events", w.resident, sent(w, **fields))
    assert answer.status_code in (400, 422), answer.content
    assert answer.json().get("message") or answer.json().get("detail")
    assert not GridEvent.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="grid.").exists()


def test_a_step_out_of_turn_is_a_400(w, api):
    event_id = api.post("/events", w.resident, sent(w)).json()["id"]
    out_of_turn = api.post(f"/events/{event_id}/confirm", w.resident, {"rating": 5}, json=True)
    assert out_of_turn.status_code == 400 and message(out_of_turn)
    empty = api.post(f"/events/{event_id}/handle", w.officer, {"note": " "})
    assert empty.status_code == 400
    assert EventStep.objects.filter(event_id=event_id).count() == 1


def test_the_reward_proposes_an_entry_for_review(w, api):
    event_id = api.post("/events", w.resident, sent(w)).json()["id"]
    api.post(f"/events/{event_id}/handle", w.officer, {"note": "已处理"})
    assert (
        api.post(f"/events/{event_id}/reward", w.officer, {"rule": "HJ01"}, json=True).status_code
        == 403
    )
    assert (
        api.post(f"/events/{event_id}/reward", w.secretary, {"rule": "NOPE"}, json=True).status_code
        == 404
    )
    proposed = api.post(f"/events/{event_id}/reward", w.secretary, {"rule": "HJ01"}, json=True)
    assert proposed.status_code == 201, proposed.content
    assert proposed.json()["status"] == "recorded"


def test_the_summary_counts_by_area(w, api):
    api.post("/events", w.resident, sent(w))
    rows = {
        r["area"]: r for r in api.get(f"/villages/{w.village.pk}/events/summary", w.resident).json()
    }
    assert rows["东片"]["reported"] == 1 and rows["西片"]["total"] == 0
    assert (
        api.get(f"/villages/{w.village.pk}/events/summary", w.foreign.resident).status_code == 404
    )


def _queries(call) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = call()
    assert response.status_code == 200
    return len(captured)


def test_query_counts_are_pinned_whatever_the_lists_length(w, api):
    for n in range(2):
        services.event_report(actor=w.resident, village=w.village, category="other", text=f"事{n}")
    # Warm the caller's token and roles once; then count.
    api.get("/events", w.secretary, village=w.village.pk)
    small = _queries(lambda: api.get("/events", w.secretary, village=w.village.pk))
    for n in range(6):
        services.event_report(actor=w.neighbour, village=w.village, category="other", text=f"多{n}")
    assert _queries(lambda: api.get("/events", w.secretary, village=w.village.pk)) == small
    event = GridEvent.objects.first()
    detail = _queries(lambda: api.get(f"/events/{event.pk}", w.secretary))
    services.event_accept(actor=w.officer, event=event)
    services.event_handle(actor=w.officer, event=event, note="已处理")
    assert _queries(lambda: api.get(f"/events/{event.pk}", w.secretary)) == detail
    summary = _queries(lambda: api.get(f"/villages/{w.village.pk}/events/summary", w.secretary))
    assert (small, detail, summary) == PINNED


# list: token + village + count + page (roles cached); detail: token + event + visibility +
# steps; summary: token + village + areas + counts.
PINNED = (4, 4, 4)
