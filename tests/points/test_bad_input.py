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
from tests.support.points_api import Api
from village.models import AuditEvent, DocumentBatch

BAD = ["abc", "²", "A-001", "99999999999999999999"]


@pytest.fixture
def busy_points_world(points_world, ledger):
    """Something for every id to miss: posted entries, an unpublished star round and
    allocation, an open publication with an open objection, an entry awaiting review."""
    ledger.open_year(year=points_world.day.year)
    ledger.post((points_world.h[1], "HJ01"), (points_world.h[2], "HJ02"))
    services.star_round_rate(
        actor=points_world.secretary,
        village=points_world.village,
        year=points_world.day.year,
        thresholds={"1": 90},
    )
    services.allocation_create(
        actor=points_world.secretary,
        village=points_world.village,
        year=points_world.day.year,
        title="年终奖励",
        pool_fen=999,
    )
    points_world.day = points_world.day.replace(day=12)
    [entry], _publication = ledger.published((points_world.h[1], "HJ02"))
    services.objection_file(actor=points_world.resident, entry=entry, text="不是我家")
    ledger.record(points_world.h[3])
    return points_world


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
def unchanged(busy_points_world):
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
def test_recording_form_for_a_malformed_household_is_404(
    busy_points_world, unchanged, as_user, bad
):
    client = as_user(busy_points_world.officer)
    assert client.get(reverse("points:record"), {"household": bad}).status_code == 404
    data = {
        "household": bad,
        "rule": busy_points_world.rules["HJ01"].pk,
        "occurred_on": busy_points_world.day.isoformat(),
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
def test_admin_pages_for_a_malformed_village_are_404(
    busy_points_world, unchanged, as_user, url_name, who, bad
):
    response = as_user(getattr(busy_points_world, who)).get(reverse(url_name), {"village": bad})
    assert response.status_code == 404


@pytest.mark.parametrize("bad", BAD)
def test_ledger_ignores_a_malformed_year(busy_points_world, as_user, bad):
    response = as_user(busy_points_world.secretary).get(
        reverse("points_admin_ledger"), {"year": bad}
    )
    assert response.status_code == 200
    assert busy_points_world.h[1].number in response.content.decode()


@pytest.mark.parametrize("bad", BAD)
def test_review_of_malformed_entries_approves_nothing(busy_points_world, unchanged, as_user, bad):
    response = as_user(busy_points_world.committee).post(
        reverse("points_admin_review"),
        {"entry": [bad], "decision": "approve", "checked": "yes"},
        follow=True,
    )
    refused(response, "请至少选择一条记录")
    assert Entry.objects.filter(status=EntryStatus.RECORDED).count() == 1


@pytest.mark.parametrize("bad", BAD)
def test_publication_for_a_malformed_village_is_refused(busy_points_world, unchanged, as_user, bad):
    response = as_user(busy_points_world.secretary).post(
        reverse("points_admin_publications"),
        {"village": bad, "month": f"{busy_points_world.day:%Y-%m}"},
        follow=True,
    )
    refused(response, "请选择村")


@pytest.mark.parametrize("bad", BAD)
def test_closing_a_malformed_publication_is_404(busy_points_world, unchanged, as_user, bad):
    response = as_user(busy_points_world.secretary).post(
        reverse("points_admin_publications"),
        {"village": busy_points_world.village.pk, "publication": bad, "action": "close"},
    )
    assert response.status_code == 404


@pytest.mark.parametrize("bad", BAD)
def test_answering_a_malformed_objection_is_404(busy_points_world, unchanged, as_user, bad):
    response = as_user(busy_points_world.committee).post(
        reverse("points_admin_objections"),
        {"objection": bad, "decision": "upheld", "answer": "成立"},
    )
    assert response.status_code == 404


@pytest.mark.parametrize("bad", BAD)
def test_counter_with_a_malformed_item_says_pick_one(busy_points_world, unchanged, as_user, bad):
    response = as_user(busy_points_world.keeper).post(
        reverse("points_admin_counter"),
        {"household": busy_points_world.h[1].number, "item": bad, "quantity": "1", "key": "k1"},
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
        ({"action": "revoke", "rating": "{bad}", "reason": "违反村规民约"}, None),
    ],
    ids=["rate", "allocate", "revoke"],
)
def test_welfare_with_malformed_ids_is_refused(
    busy_points_world, unchanged, as_user, data, text, bad
):
    values = {
        "bad": bad,
        "year": busy_points_world.day.year,
        "village": busy_points_world.village.pk,
    }
    data = {"title": "年终奖励", **{k: v.format(**values) for k, v in data.items()}}
    response = as_user(busy_points_world.secretary).post(
        reverse("points_admin_welfare"), data, follow=True
    )
    refused(response, text)


@pytest.mark.parametrize("bad", BAD)
@pytest.mark.parametrize("page", ["points_admin_ratings", "points_admin_allocation"])
def test_publishing_under_a_malformed_resolution_says_pick_one(
    busy_points_world, unchanged, as_user, page, bad
):
    """The star round's and the allocation's pages publish only under a resolution chosen
    from the list: anything else is the form again with its message, nothing written."""
    obj = (StarRound if page == "points_admin_ratings" else Allocation).objects.get()
    response = as_user(busy_points_world.secretary).post(
        reverse(page, args=[obj.pk]), {"action": "publish", "resolution": bad}, follow=True
    )
    refused(response, "请选择本村已公开的决议")


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
def test_welfare_with_a_malformed_number_says_so(
    busy_points_world, unchanged, as_user, field, bad, text
):
    data = {
        "action": "allocate",
        "village": busy_points_world.village.pk,
        "year": busy_points_world.day.year,
        "title": "年终奖励",
        "pool": "10",
    }
    response = as_user(busy_points_world.secretary).post(
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
def test_import_into_a_malformed_village_says_pick_one(busy_points_world, unchanged, as_user, bad):
    response = as_user(busy_points_world.secretary).post(
        reverse("points_admin_import"), {"village": bad, "file": _sheet()}
    )
    refused(response, "请选择村")


@pytest.mark.parametrize("bad", BAD)
def test_passbook_batch_for_a_malformed_village_says_pick_one(
    busy_points_world, unchanged, as_user, bad
):
    response = as_user(busy_points_world.secretary).post(
        reverse("points_admin_batch_start"),
        {
            "village": bad,
            "year": busy_points_world.day.year,
            "next": reverse("points_admin_welfare"),
        },
        follow=True,
    )
    refused(response, "请选择村")


# --- the API: ids past any key -----------------------------------------------------------------


def test_api_ids_past_any_key_are_404(busy_points_world, unchanged, client):
    api = Api(client)
    huge = int(BAD[-1])
    response = api.post(f"/entries/{huge}/objection", busy_points_world.neighbour, {"text": "不对"})
    assert 400 <= response.status_code < 500
    response = api.post(
        "/redemptions",
        busy_points_world.keeper,
        {"household": busy_points_world.h[1].number, "item": huge},
    )
    assert 400 <= response.status_code < 500
