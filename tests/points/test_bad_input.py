"""Ids typed or tampered with — letters, a superscript digit, a household number where a key
belongs, a number past any key — are refused with a 4xx or a message, never a 500, and
nothing is written."""

import io

import pytest
from django.urls import reverse
from openpyxl import Workbook

from points import services
from points.models import (
    Allocation,
    Entry,
    EntryStatus,
    Objection,
    Publication,
    Redemption,
    StarRating,
    StarRound,
)
from tests.points.test_api import Api
from village.models import AuditEvent, DocumentBatch

BAD = ["abc", "²", "A-001", "99999999999999999999"]


@pytest.fixture
def as_user(client):
    def login(user):
        client.force_login(user)
        return client

    return login


@pytest.fixture
def scene(pw, ledger):
    """Something for every id to miss: posted entries, an unpublished star round and
    allocation, an open publication with an open objection, an entry awaiting review."""
    ledger.open_year(year=pw.day.year)
    ledger.post((pw.h[1], "HJ01"), (pw.h[2], "HJ02"))
    services.star_round_rate(
        actor=pw.secretary, village=pw.village, year=pw.day.year, thresholds={"1": 90}
    )
    services.allocation_create(
        actor=pw.secretary, village=pw.village, year=pw.day.year, title="年终奖励", pool_fen=999
    )
    pw.day = pw.day.replace(day=12)
    [entry], _publication = ledger.published((pw.h[1], "HJ02"))
    services.objection_file(actor=pw.resident, entry=entry, text="不是我家")
    ledger.record(pw.h[3])
    return pw


def _state():
    """Everything a mistaken write would change."""
    return (
        AuditEvent.objects.count(),
        list(Entry.objects.order_by("pk").values_list("pk", "status", "publication_id")),
        list(Publication.objects.order_by("pk").values_list("pk", "closed_at")),
        list(Objection.objects.order_by("pk").values_list("pk", "status")),
        list(StarRound.objects.order_by("pk").values_list("pk", "published_at")),
        list(StarRating.objects.order_by("pk").values_list("pk", "revoked_at")),
        list(Allocation.objects.order_by("pk").values_list("pk", "published_at")),
        Redemption.objects.count(),
        DocumentBatch.objects.count(),
    )


@pytest.fixture
def unchanged(scene):
    before = _state()
    yield
    assert _state() == before


def refused(response, text=None):
    """A 4xx, or the page again with `text` (the form's message) on it."""
    status = response.status_code
    if 400 <= status < 500:
        return
    assert text is not None, f"expected a 4xx, got {status}"
    assert status == 200 and text in response.content.decode(), f"{status} without “{text}”"


# --- the phone screens --------------------------------------------------------------------------


@pytest.mark.parametrize("bad", BAD)
def test_recording_form_for_a_malformed_household_is_404(scene, unchanged, as_user, bad):
    client = as_user(scene.officer)
    assert client.get(reverse("points:record"), {"household": bad}).status_code == 404
    data = {
        "household": bad,
        "rule": scene.rules["HJ01"].pk,
        "occurred_on": scene.day.isoformat(),
        "key": "k1",
    }
    assert client.post(reverse("points:record"), data).status_code == 404


# --- the admin -------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", BAD)
@pytest.mark.parametrize(
    "url_name, who",
    [
        ("points_admin_review", "committee"),
        ("points_admin_publications", "secretary"),
        ("points_admin_ledger", "secretary"),
        ("points_admin_welfare", "secretary"),
    ],
)
def test_admin_pages_for_a_malformed_village_are_404(scene, unchanged, as_user, url_name, who, bad):
    response = as_user(getattr(scene, who)).get(reverse(url_name), {"village": bad})
    assert response.status_code == 404


@pytest.mark.parametrize("bad", BAD)
def test_ledger_ignores_a_malformed_year(scene, as_user, bad):
    response = as_user(scene.secretary).get(reverse("points_admin_ledger"), {"year": bad})
    assert response.status_code == 200
    assert scene.h[1].number in response.content.decode()


@pytest.mark.parametrize("bad", BAD)
def test_review_of_malformed_entries_approves_nothing(scene, unchanged, as_user, bad):
    response = as_user(scene.committee).post(
        reverse("points_admin_review"),
        {"entry": [bad], "decision": "approve", "checked": "yes"},
        follow=True,
    )
    refused(response, "请至少选择一条记录")
    assert Entry.objects.filter(status=EntryStatus.RECORDED).count() == 1


@pytest.mark.parametrize("bad", BAD)
def test_publication_for_a_malformed_village_is_refused(scene, unchanged, as_user, bad):
    response = as_user(scene.secretary).post(
        reverse("points_admin_publications"),
        {"village": bad, "month": f"{scene.day:%Y-%m}"},
        follow=True,
    )
    refused(response, "请选择村")


@pytest.mark.parametrize("bad", BAD)
def test_closing_a_malformed_publication_is_404(scene, unchanged, as_user, bad):
    response = as_user(scene.secretary).post(
        reverse("points_admin_publications"),
        {"village": scene.village.pk, "publication": bad, "action": "close"},
    )
    assert response.status_code == 404


@pytest.mark.parametrize("bad", BAD)
def test_answering_a_malformed_objection_is_404(scene, unchanged, as_user, bad):
    response = as_user(scene.committee).post(
        reverse("points_admin_objections"),
        {"objection": bad, "decision": "upheld", "answer": "成立"},
    )
    assert response.status_code == 404


@pytest.mark.parametrize("bad", BAD)
def test_counter_with_a_malformed_item_says_pick_one(scene, unchanged, as_user, bad):
    response = as_user(scene.keeper).post(
        reverse("points_admin_counter"),
        {"household": scene.h[1].number, "item": bad, "quantity": "1", "key": "k1"},
        follow=True,
    )
    refused(response, "请选择物品")


@pytest.mark.parametrize("bad", BAD)
@pytest.mark.parametrize(
    "data, text",
    [
        ({"action": "rate", "village": "{bad}", "year": "{year}", "star1": "90"}, "请选择村"),
        (
            {"action": "allocate", "village": "{bad}", "year": "{year}", "pool": "10"},
            "请选择村",
        ),
        ({"action": "publish_stars", "round": "{bad}"}, None),
        ({"action": "revoke", "rating": "{bad}", "reason": "违反村规民约"}, None),
        ({"action": "publish_allocation", "allocation": "{bad}"}, None),
    ],
    ids=["rate", "allocate", "publish_stars", "revoke", "publish_allocation"],
)
def test_welfare_with_malformed_ids_is_refused(scene, unchanged, as_user, data, text, bad):
    values = {"bad": bad, "year": scene.day.year, "village": scene.village.pk}
    data = {"title": "年终奖励", **{k: v.format(**values) for k, v in data.items()}}
    response = as_user(scene.secretary).post(reverse("points_admin_welfare"), data, follow=True)
    refused(response, text)


@pytest.mark.parametrize(
    "field, bad, text",
    [
        ("year", "abc", "年度须为整数"),
        ("year", "²", "年度须为整数"),
        ("year", BAD[-1], "年度数值过大"),
        ("pool", "²", "总额须为金额"),
        ("pool", "A-001", "总额须为金额"),
        ("pool", BAD[-1], "总额数值过大"),
    ],
)
def test_welfare_with_a_malformed_number_says_so(scene, unchanged, as_user, field, bad, text):
    data = {
        "action": "allocate",
        "village": scene.village.pk,
        "year": scene.day.year,
        "title": "年终奖励",
        "pool": "10",
    }
    response = as_user(scene.secretary).post(
        reverse("points_admin_welfare"), {**data, field: bad}, follow=True
    )
    refused(response, text)


def _sheet():
    wb = Workbook()
    wb.active.append(["户号", "规则编码", "日期", "说明"])
    buffer = io.BytesIO()
    wb.save(buffer)
    buffer.seek(0)
    buffer.name = "sheet.xlsx"
    return buffer


@pytest.mark.parametrize("bad", BAD)
def test_import_into_a_malformed_village_says_pick_one(scene, unchanged, as_user, bad):
    response = as_user(scene.secretary).post(
        reverse("points_admin_import"), {"village": bad, "file": _sheet()}
    )
    refused(response, "请选择村")


@pytest.mark.parametrize("bad", BAD)
def test_passbook_batch_for_a_malformed_village_says_pick_one(scene, unchanged, as_user, bad):
    response = as_user(scene.secretary).post(
        reverse("points_admin_batch_start"),
        {"village": bad, "year": scene.day.year, "next": reverse("points_admin_welfare")},
        follow=True,
    )
    refused(response, "请选择村")


# --- the API: ids past any key -----------------------------------------------------------------


def test_api_ids_past_any_key_are_404(scene, unchanged, client):
    api = Api(client)
    huge = int(BAD[-1])
    response = api.post(f"/entries/{huge}/objection", scene.neighbour, {"text": "不对"})
    assert 400 <= response.status_code < 500
    response = api.post(
        "/redemptions", scene.keeper, {"household": scene.h[1].number, "item": huge}
    )
    assert 400 <= response.status_code < 500
