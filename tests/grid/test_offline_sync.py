"""离线记录同步 (`POST /api/v1/offline/sync`): each queued item is written once whatever the
retries, judged on the day it was recorded, refused per item with a reason the officer reads;
a device clock far from the server's is flagged and corrected; bad input writes nothing."""

from datetime import timedelta

import pytest
from django.utils import timezone

from grid.models import GridEvent
from pages import selectors as page_selectors
from points.models import Entry
from tests.grid.offline_world import (
    SYNC,
    answers,
    entries_by,
    entry_item,
    event_item,
    not_an_image,
    offline_chain,
    png,
    sync_api,
    told_item,
)
from tests.support.clock import travel
from tests.support.points_api import Api
from tests.support.points_world import build_catalogue
from tests.support.rules import amend
from tests.support.site_world import notice_index_of, open_site, publish_notice
from village.models import AuditEvent, HouseholdStatus


@pytest.fixture
def w(points_world):
    return points_world


@pytest.fixture
def officer(client, w):
    client.force_login(w.officer)
    return client


def test_entries_and_an_intake_are_each_accepted_with_offline_at_in_the_chain(officer, w):
    at = timezone.now() - timedelta(hours=2)
    items = [
        entry_item(w.h[1], "HJ01", at=at),
        entry_item(w.h[2], "XL01", at=at, photo_part="p1"),
        entry_item(w.h[1], "ZY01", at=at, reason="清理河道"),
        event_item(w.area1, at=at),
    ]
    response = sync_api(officer, items, photos={"p1": png()})
    assert response.status_code == 200
    body = response.json()
    assert (body["accepted"], body["refused"], body["clock_flagged"]) == (4, 0, False)
    found = answers(response)
    entries = Entry.objects.in_bulk([found[i["key"]]["id"] for i in items[:3]])
    assert {e.offline_at for e in entries.values()} == {at}
    assert {e.occurred_on for e in entries.values()} == {timezone.localdate(at)}
    assert entries[found[items[1]["key"]]["id"]].photo.name
    event = GridEvent.objects.get(pk=found[items[3]["key"]]["id"])
    assert (event.offline_at, event.area, event.reported_by) == (at, w.area1, w.officer)
    # The ledger's own event carries the device time, and the sync's event says how it came.
    recorded = AuditEvent.objects.filter(action="points.entry.record").order_by("pk")
    assert [e.payload["offline_at"] for e in recorded] == [str(at)] * 3
    chained = {e.payload["key"]: e.payload for e in offline_chain()}
    assert set(chained) == {i["key"] for i in items}
    assert {p["clock_flagged"] for p in chained.values()} == {False}


def test_the_same_batch_again_writes_nothing_and_answers_the_same_ids(officer, w):
    items = [entry_item(w.h[1]), entry_item(w.h[2], "HJ02"), event_item(w.area1)]
    first = answers(sync_api(officer, items))
    chain_before = AuditEvent.objects.count()
    again = answers(sync_api(officer, items))
    assert {k: a["id"] for k, a in again.items()} == {k: a["id"] for k, a in first.items()}
    assert {a["replayed"] for a in again.values()} == {True}
    assert entries_by(w.officer).count() == 2
    assert GridEvent.objects.count() == 1
    assert AuditEvent.objects.count() == chain_before


def test_a_retry_after_the_limit_still_answers_what_was_written(officer, w):
    items = [entry_item(w.h[1])]
    first = answers(sync_api(officer, items))
    with travel(timezone.now() + timedelta(days=10)):
        again = answers(sync_api(officer, items, sent_at=timezone.now()))
    assert again[items[0]["key"]]["status"] == "accepted"
    assert again[items[0]["key"]]["id"] == first[items[0]["key"]]["id"]


def test_a_household_outside_the_officers_areas_is_refused(officer, w):
    item = entry_item(w.h[4])
    answer = answers(sync_api(officer, [item]))[item["key"]]
    assert answer["status"] == "refused"
    assert answer["reason"] == "网格员只能为本网格的户记分。"
    assert not Entry.objects.exists()
    assert not offline_chain().exists()


def test_an_item_older_than_the_rule_sets_limit_is_refused(officer, w):
    old = entry_item(w.h[1], at=timezone.now() - timedelta(days=8))
    fresh = entry_item(w.h[2], at=timezone.now() - timedelta(days=6))
    found = answers(sync_api(officer, [old, fresh]))
    assert found[old["key"]]["status"] == "refused"
    assert "已超过 7 天" in found[old["key"]]["reason"]
    assert found[fresh["key"]]["status"] == "accepted"
    amend(w.village, offline_max_days=3)
    stricter = entry_item(w.h[2], "HJ02", at=timezone.now() - timedelta(days=4))
    answer = answers(sync_api(officer, [stricter]))[stricter["key"]]
    assert "已超过 3 天" in answer["reason"]


def test_the_rule_is_judged_by_the_catalogue_of_the_recorded_day(officer, w):
    today = timezone.localdate()
    if today.day == 1 and today.month == 1:
        pytest.skip("yesterday is last year: another catalogue year")
    # From today a new catalogue without HJ02 (乱堆乱放) is in force.
    build_catalogue(w.village, effective_from=today, version=2, codes=["HJ01", "ZY01"])
    yesterday = timezone.now() - timedelta(days=1)
    before = entry_item(w.h[1], "HJ02", at=yesterday)
    after = entry_item(w.h[2], "HJ02", at=timezone.now() - timedelta(minutes=5))
    found = answers(sync_api(officer, [before, after]))
    assert found[before["key"]]["status"] == "accepted"
    assert Entry.objects.get(pk=found[before["key"]]["id"]).rule.catalogue == w.catalogue
    assert found[after["key"]]["status"] == "refused"
    assert found[after["key"]]["reason"] == f"积分规则 HJ02 在 {today} 不在施行的积分细则中。"


def test_a_household_that_moved_out_is_refused(officer, w):
    w.h[2].status = HouseholdStatus.MOVED_OUT
    w.h[2].save()
    item = entry_item(w.h[2])
    answer = answers(sync_api(officer, [item]))[item["key"]]
    assert answer["status"] == "refused"
    assert "不在册" in answer["reason"]


def test_over_the_cap_the_item_is_refused_and_the_rest_accepted(officer, w):
    items = [entry_item(w.h[1], "ZY01") for _ in range(3)]  # at most twice a year
    found = answers(sync_api(officer, items))
    assert [found[i["key"]]["status"] for i in items] == ["accepted", "accepted", "refused"]
    assert "每年最多计 2 次" in found[items[2]["key"]]["reason"]


def test_a_bad_or_missing_photo_is_refused_with_its_reason(officer, w):
    bad = entry_item(w.h[1], "XL01", photo_part="bad")
    lost = entry_item(w.h[2], "XL01", photo_part="lost")
    without = entry_item(w.h[2], "XL01")
    found = answers(sync_api(officer, [bad, lost, without], photos={"bad": not_an_image()}))
    assert found[bad["key"]]["reason"] == "只接受 JPEG、PNG 或 WebP 格式的图片。"
    assert found[lost["key"]]["reason"] == "照片没有收到，请再同步一次。"
    assert found[without["key"]]["reason"] == "该项须附照片。"
    assert not Entry.objects.exists()


def test_a_device_clock_far_off_is_flagged_and_its_times_corrected(officer, w):
    now = timezone.now()
    behind = timedelta(hours=1)  # the phone's clock is an hour slow
    item = entry_item(w.h[1], at=now - behind - timedelta(minutes=10))
    response = sync_api(officer, [item], sent_at=now - behind)
    body = response.json()
    assert body["clock_flagged"] is True
    assert 3590 <= body["clock_skew_seconds"] <= 3610
    entry = Entry.objects.get(pk=body["items"][0]["id"])
    assert abs(entry.offline_at - (now - timedelta(minutes=10))) < timedelta(seconds=10)
    payload = offline_chain().get().payload
    assert payload["clock_flagged"] is True
    assert payload["device_recorded_at"] == item["recorded_at"]
    assert 3590 <= payload["clock_skew_seconds"] <= 3610


def test_a_device_clock_within_five_minutes_is_trusted(officer, w):
    at = timezone.now() - timedelta(minutes=30)
    item = entry_item(w.h[1], at=at)
    body = sync_api(officer, [item], sent_at=timezone.now() - timedelta(minutes=4)).json()
    assert body["clock_flagged"] is False
    assert Entry.objects.get().offline_at == at


def test_a_told_record_is_accepted_once(officer, w):
    home = open_site(w.village)
    notice = publish_notice(notice_index_of(home), "关于秋季防火的通知")
    item = told_item(w.h[1], notice)
    first = answers(sync_api(officer, [item]))[item["key"]]
    again = answers(sync_api(officer, [item]))[item["key"]]
    assert first["status"] == again["status"] == "accepted"
    assert first["id"] == again["id"]
    assert notice.told.count() == 1
    assert offline_chain().get().payload["household"] == w.h[1].number
    assert page_selectors.village_of_page(notice) == w.village


def test_a_key_another_user_wrote_is_refused(officer, w, client):
    item = entry_item(w.h[1])
    sync_api(officer, [item])
    client.force_login(w.secretary)
    answer = answers(sync_api(client, [item]))[item["key"]]
    assert answer["status"] == "refused"
    assert "幂等键" in answer["reason"]


def test_a_bearer_token_syncs_too(client, w):
    item = entry_item(w.h[1])
    response = sync_api(client, [item], **Api(client).headers(w.officer))
    assert response.status_code == 200
    assert response.json()["items"][0]["status"] == "accepted"


@pytest.mark.parametrize("who", ["resident", "inspector", "outsider"])
def test_only_officers_and_cadres_may_sync(client, w, who):
    client.force_login(getattr(w, who))
    response = sync_api(client, [entry_item(w.h[1])])
    assert response.status_code == 403
    assert response.json()["message"]
    assert not Entry.objects.exists()


def test_without_login_the_answer_is_401(client, w):
    assert sync_api(client, [entry_item(w.h[1])]).status_code == 401


def test_a_villagers_token_is_refused(client, w):
    response = sync_api(client, [entry_item(w.h[1])], **Api(client).headers(w.resident))
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("raw", "sent_at", "says"),
    [
        ("{not json", None, "items 不是有效的 JSON。"),
        ('{"key": "x"}', None, "items 应为非空的列表。"),
        ("[]", None, "items 应为非空的列表。"),
        ("GOOD+BAD-KEY", None, "幂等键"),
        ("GOOD+NAIVE", None, "带时区"),
        ("GOOD+TWICE", None, "重复的幂等键"),
        ("GOOD", "yesterday", "发送时间"),
        ("GOOD+MONTH-13", None, "带时区"),
        ("GOOD", "2026-13-01T09:00:00+08:00", "发送时间"),
    ],
)
def test_bad_input_is_a_400_with_nothing_written(officer, w, raw, sent_at, says):
    import json

    good = entry_item(w.h[1])
    batches = {
        "GOOD": [good],
        "GOOD+BAD-KEY": [good, {**entry_item(w.h[2]), "key": "short"}],
        "GOOD+NAIVE": [good, {**entry_item(w.h[2]), "recorded_at": "2026-01-01T09:12:00"}],
        "GOOD+TWICE": [good, good],
        "GOOD+MONTH-13": [good, {**entry_item(w.h[2]), "recorded_at": "2026-13-01T09:12:00+08:00"}],
    }
    text = json.dumps(batches[raw]) if raw in batches else raw
    data = {"items": text, "sent_at": sent_at or timezone.now().isoformat()}
    response = officer.post(SYNC, data)
    assert response.status_code == 400
    assert says in response.json()["message"]
    assert not Entry.objects.exists()
    assert not offline_chain().exists()


def test_a_batch_without_items_is_a_400(officer, w):
    response = officer.post(SYNC, {"sent_at": timezone.now().isoformat()})
    assert response.status_code == 400
    assert "缺少 items" in response.json()["message"]


def test_a_future_time_is_refused(officer, w):
    item = entry_item(w.h[1], at=timezone.now() + timedelta(hours=2))
    answer = answers(sync_api(officer, [item]))[item["key"]]
    assert answer["reason"] == "记录时间晚于现在，请检查手机的时间。"


def test_an_intake_outside_the_officers_areas_is_refused(officer, w):
    item = event_item(w.area2)
    answer = answers(sync_api(officer, [item]))[item["key"]]
    assert answer["status"] == "refused"
    assert "本网格" in answer["reason"]
    assert not GridEvent.objects.exists()


def test_a_household_of_another_village_is_not_found(officer, w):
    item = entry_item(w.foreign.household)
    answer = answers(sync_api(officer, [item]))[item["key"]]
    assert answer["reason"] == "找不到这一户（或不在您的村）。"


def test_a_session_sync_needs_the_csrf_token_of_the_copy(w):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(w.officer)
    item = entry_item(w.h[1])
    forged = sync_api(browser, [item])  # another site posting with the officer's cookie
    assert forged.status_code == 403
    assert not Entry.objects.exists()
    token = browser.get("/grid/offline/data.json").json()["csrf"]
    response = sync_api(browser, [item], HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200
    assert Entry.objects.count() == 1


def test_a_phone_that_says_it_sent_long_ago_cannot_make_an_old_record_young(officer, w):
    """The attack: record twenty days ago and claim the batch was sent then too; the corrected
    time would be now. The phone's own time is past the limit: refused."""
    now = timezone.now()
    old = entry_item(w.h[1], at=now - timedelta(days=20))
    response = sync_api(officer, [old], sent_at=now - timedelta(days=20, minutes=-1))
    assert response.json()["clock_flagged"] is True
    answer = answers(response)[old["key"]]
    assert answer["status"] == "refused" and "已超过 7 天" in answer["reason"]
    assert not Entry.objects.exists()


def test_a_time_the_correction_cannot_hold_is_refused_not_a_500(officer, w):
    far = {**entry_item(w.h[1]), "recorded_at": "9999-12-31T23:00:00+08:00"}
    response = sync_api(officer, [far], sent_at=timezone.now() - timedelta(days=2))
    assert response.status_code == 200
    assert answers(response)[far["key"]]["status"] == "refused"
    assert not Entry.objects.exists()
