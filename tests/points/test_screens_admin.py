"""The points screens in the admin: review, publications, objections, the store counter,
welfare (stars and allocation), the Excel import, the ledger with reversal and export, store
items, claims and the catalogue — permissions, bad input, and pinned query counts."""

import io
import re

import pytest
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from points import selectors, services, terms
from points.models import Allocation, Entry, EntryStatus, Redemption, StarRound
from tests.support.points_screens import UntouchedForm
from tests.support.points_world import actions, balance, reload, resolution_for

# --- the admin --------------------------------------------------------------------------------


def test_committee_bulk_approves_only_when_checked_and_never_own_entries(
    points_world, ledger, as_user
):
    mine = ledger.record(points_world.h[4], actor=points_world.committee)
    other = ledger.record(points_world.h[1])
    client = as_user(points_world.committee)
    page = client.get(reverse("points_admin_review")).content.decode()
    assert other.reason in page
    # Without "checked" nothing is approved.
    client.post(reverse("points_admin_review"), {"entry": [other.pk], "decision": "approve"})
    assert reload(other).status == EntryStatus.RECORDED
    # Own entry in the batch: the whole batch is refused.
    client.post(
        reverse("points_admin_review"),
        {"entry": [other.pk, mine.pk], "decision": "approve", "checked": "yes"},
    )
    assert reload(other).status == EntryStatus.RECORDED
    client.post(
        reverse("points_admin_review"),
        {"entry": [other.pk], "decision": "approve", "checked": "yes"},
    )
    assert reload(other).status == EntryStatus.REVIEWED
    assert reload(mine).status == EntryStatus.RECORDED


def test_review_page_queries_are_pinned(points_world, ledger, as_user, django_assert_num_queries):
    client = as_user(points_world.committee)
    ledger.record(points_world.h[1])
    client.get(reverse("points_admin_review"))
    with django_assert_num_queries(11) as first:
        client.get(reverse("points_admin_review"))
    for household in (points_world.h[2], points_world.h[3], points_world.h[1]):
        ledger.record(household, "HJ02")
    with django_assert_num_queries(len(first.captured_queries)):
        client.get(reverse("points_admin_review"))


def test_secretary_publishes_and_closes_from_the_admin(points_world, ledger, as_user):
    entry = ledger.record(points_world.h[1])
    ledger.review([entry])
    client = as_user(points_world.secretary)
    client.post(
        reverse("points_admin_publications"),
        {"village": points_world.village.pk, "month": f"{points_world.day:%Y-%m}"},
    )
    publication = reload(entry).publication
    assert publication is not None
    page = client.get(reverse("points_admin_publications")).content.decode()
    assert str(publication) in page
    # Closing inside the window is refused.
    client.post(
        reverse("points_admin_publications"),
        {"village": points_world.village.pk, "publication": publication.pk, "action": "close"},
    )
    assert reload(entry).status == EntryStatus.PUBLISHED
    with ledger.after_window(publication):
        client.post(
            reverse("points_admin_publications"),
            {"village": points_world.village.pk, "publication": publication.pk, "action": "close"},
        )
    assert reload(entry).status == EntryStatus.POSTED
    export = client.get(reverse("points_admin_publication_xlsx", args=[publication.pk]))
    sheet = load_workbook(io.BytesIO(export.content)).active
    assert next(c.value for c in sheet[2]) == points_world.h[1].number


def test_grid_officer_cannot_publish_and_inspector_cannot_answer(points_world, ledger, as_user):
    entry = ledger.record(points_world.h[1])
    ledger.review([entry])
    as_user(points_world.officer).post(
        reverse("points_admin_publications"),
        {"village": points_world.village.pk, "month": f"{points_world.day:%Y-%m}"},
    )
    assert reload(entry).publication is None
    publication = ledger.publish()
    objection = services.objection_file(actor=points_world.neighbour, entry=entry, text="不属实")
    client = as_user(points_world.inspector)
    assert client.get(reverse("points_admin_objections")).status_code == 200
    client.post(
        reverse("points_admin_objections"),
        {"objection": objection.pk, "decision": "upheld", "answer": "成立"},
    )
    assert reload(objection).status == "open"
    assert publication.pk


def test_committee_answers_an_objection(points_world, ledger, as_user):
    [entry], _pub = ledger.published((points_world.h[1], "HJ02"))
    objection = services.objection_file(actor=points_world.resident, entry=entry, text="不是我家")
    as_user(points_world.committee).post(
        reverse("points_admin_objections"),
        {"objection": objection.pk, "decision": "upheld", "answer": "经核实，属实，作废。"},
    )
    assert reload(objection).status == "upheld"
    assert reload(entry).status == EntryStatus.VOIDED


def test_counter_redeems_and_shows_the_receipt(points_world, ledger, as_user):
    ledger.open_year(year=points_world.day.year)
    client = as_user(points_world.keeper)
    page = client.get(reverse("points_admin_counter"), {"household": points_world.h[1].number})
    assert 'data-testid="counter-balance">100<' in page.content.decode()
    response = client.post(
        reverse("points_admin_counter"),
        {
            "household": points_world.h[1].number,
            "item": points_world.items["soap"].pk,
            "quantity": "3",
            "key": "a",
        },
        follow=True,
    )
    html = response.content.decode()
    redemption = Redemption.objects.get()
    assert redemption.receipt in html
    assert balance(points_world.h[1]) == 70
    assert reload(points_world.items["soap"]).stock == 17
    # Too many: refused, nothing written.
    response = client.post(
        reverse("points_admin_counter"),
        {
            "household": points_world.h[1].number,
            "item": points_world.items["rice"].pk,
            "quantity": "2",
            "key": "b",
        },
        follow=True,
    )
    assert "积分不足" in response.content.decode()
    assert Redemption.objects.count() == 1 and balance(points_world.h[1]) == 70


def test_the_untouched_counter_redeems_nothing(points_world, ledger, as_user):
    ledger.open_year(year=points_world.day.year)
    client = as_user(points_world.keeper)
    page = client.get(reverse("points_admin_counter"), {"household": points_world.h[1].number})
    # The redemption form as the browser would send it untouched.
    [form] = [
        f for f in re.findall(r"<form.*?</form>", page.content.decode(), re.S) if 'name="item"' in f
    ]
    sent = UntouchedForm()
    sent.feed(form)
    assert sent.data["item"] == ""  # "请选择", not the first item on the shelf
    assert sent.data["quantity"] == "1"
    response = client.post(reverse("points_admin_counter"), sent.data)
    assert "请选择物品" in response.content.decode()
    assert not Redemption.objects.exists() and balance(points_world.h[1]) == 100


def test_villager_cannot_use_the_counter(points_world, as_user):
    response = as_user(points_world.resident).get(reverse("points_admin_counter"))
    assert response.status_code in (302, 403)


def test_welfare_rates_stars_allocates_and_publishes(points_world, ledger, as_user):
    ledger.open_year(year=points_world.day.year)
    ledger.post((points_world.h[1], "HJ01"), (points_world.h[2], "HJ02"))
    client = as_user(points_world.secretary)
    url = reverse("points_admin_welfare")
    client.post(
        url,
        {
            "action": "rate",
            "village": points_world.village.pk,
            "year": points_world.day.year,
            "star1": "100",
            "star2": "105",
        },
    )
    rnd = StarRound.objects.get()
    assert {r.household_id: r.stars for r in rnd.ratings.all()}[points_world.h[1].pk] == 2
    stars_resolution = resolution_for(
        points_world.village, terms.STARS, selectors.star_round_terms(rnd), title="星级评定"
    )
    client.post(
        reverse("points_admin_ratings", args=[rnd.pk]),
        {"action": "publish", "resolution": stars_resolution.pk},
    )
    assert reload(rnd).published_at is not None
    page = client.get(url).content.decode()
    form_key = re.search(r'name="form_key" value="([^"]+)"', page).group(1)
    for _click in range(2):  # a double click on the form: one allocation
        client.post(
            url,
            {
                "action": "allocate",
                "village": points_world.village.pk,
                "year": points_world.day.year,
                "title": "年终积分奖励",
                "pool": "500.01",
                "floor": "90",
                "form_key": form_key,
            },
        )
    allocation = Allocation.objects.get()
    assert sum(s.amount_fen for s in allocation.shares.all()) == 50001
    # A malformed amount is refused with a message and nothing is created.
    response = client.post(
        url,
        {
            "action": "allocate",
            "village": points_world.village.pk,
            "year": points_world.day.year,
            "title": "x",
            "pool": "12.345",
            "floor": "0",
        },
        follow=True,
    )
    assert "最多两位小数" in response.content.decode()
    assert Allocation.objects.count() == 1
    resolution = resolution_for(
        points_world.village, terms.ALLOCATION, selectors.allocation_terms(allocation)
    )
    client.post(
        reverse("points_admin_allocation", args=[allocation.pk]),
        {"action": "publish", "resolution": resolution.pk},
    )
    page = as_user(points_world.resident).get(reverse("points:allocation", args=[allocation.pk]))
    assert "500.01" in page.content.decode()
    export = as_user(points_world.secretary).get(
        reverse("points_admin_allocation_xlsx", args=[allocation.pk])
    )
    rows = list(load_workbook(io.BytesIO(export.content)).active.values)
    assert rows[-1][5] == pytest.approx(500.01)  # a number in 元, shown as 500.01


def _sheet(rows):
    wb = Workbook()
    ws = wb.active
    ws.append(["户号", "规则编码", "日期", "说明"])
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    buffer.seek(0)
    buffer.name = "sheet.xlsx"
    return buffer


def test_import_is_all_rows_or_none_with_errors_per_row(points_world, as_user):
    client = as_user(points_world.secretary)
    day = points_world.day.isoformat()
    bad = _sheet(
        [
            [points_world.h[1].number, "HJ01", day, ""],
            ["NOPE", "HJ01", day, ""],
            [points_world.h[2].number, "ZZ99", day, ""],
        ]
    )
    response = client.post(
        reverse("points_admin_import"), {"village": points_world.village.pk, "file": bad}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "NOPE" in html and "ZZ99" in html
    assert not Entry.objects.exists()
    good = _sheet(
        [
            [points_world.h[1].number, "HJ01", day, "纸质表"],
            [points_world.h[2].number, "HJ02", day, ""],
        ]
    )
    response = client.post(
        reverse("points_admin_import"), {"village": points_world.village.pk, "file": good}
    )
    assert response.status_code == 302
    assert Entry.objects.filter(status=EntryStatus.RECORDED).count() == 2
    template = client.get(reverse("points_admin_import"), {"template": "1"})
    assert load_workbook(io.BytesIO(template.content)).active["A1"].value == "户号"


def test_the_same_sheet_uploaded_twice_records_once(points_world, as_user):
    client = as_user(points_world.secretary)
    day = points_world.day.isoformat()
    data = _sheet(
        [[points_world.h[1].number, "HJ01", day, ""], [points_world.h[2].number, "HJ02", day, ""]]
    ).read()
    url = reverse("points_admin_import")
    for _ in range(2):
        upload = io.BytesIO(data)
        upload.name = "sheet.xlsx"
        response = client.post(url, {"village": points_world.village.pk, "file": upload})
    assert Entry.objects.count() == 2
    assert response.status_code == 200  # the form again, with the message
    assert "这张登记表已于" in response.content.decode()
    assert actions(points_world.village).count("points.import") == 1


def test_ledger_reversal_and_export(points_world, ledger, as_user):
    [entry] = ledger.post((points_world.h[1], "HJ01"))
    client = as_user(points_world.secretary)
    client.post(reverse("points_admin_reverse", args=[entry.pk]), {"reason": "记错户了"})
    reversal = Entry.objects.get(reverses=entry)
    assert reversal.points == -entry.points and balance(points_world.h[1]) == 0
    export = client.get(
        reverse("points_admin_ledger"), {"format": "xlsx", "year": points_world.day.year}
    )
    values = [row[0] for row in load_workbook(io.BytesIO(export.content)).active.values]
    assert values.count(points_world.h[1].number) == 2
    # The committee member may not reverse.
    [other] = ledger.post((points_world.h[2], "HJ01"))
    as_user(points_world.committee).post(
        reverse("points_admin_reverse", args=[other.pk]), {"reason": "x"}
    )
    assert not Entry.objects.filter(reverses=other).exists()


def test_store_items_are_edited_with_audit_and_scoped(points_world, as_user):
    client = as_user(points_world.keeper)
    index = client.get("/admin/points/store-items/")
    assert index.status_code == 200 and "洗衣粉" in index.content.decode()
    foreign = points_world.foreign.items["soap"]
    assert client.get(f"/admin/points/store-items/edit/{foreign.pk}/").status_code in (
        302,
        403,
        404,
    )


def test_villager_claims_a_good_deed_for_the_own_household_only(points_world, as_user):
    client = as_user(points_world.resident)
    form = client.get(reverse("points:claim")).content.decode()
    assert "庭院整洁" in form and "乱堆乱放" not in form  # deductions are not offered
    data = {
        "rule": points_world.rules["ZY01"].pk,
        "occurred_on": points_world.day.isoformat(),
        "key": "c1",
    }
    assert client.post(reverse("points:claim"), data).status_code == 302
    entry = Entry.objects.get()
    assert entry.status == EntryStatus.CLAIMED and entry.account.household == points_world.h[1]
    # A deduction sent by hand is refused as an invalid choice; nothing more is written.
    bad = client.post(
        reverse("points:claim"), {**data, "rule": points_world.rules["HJ02"].pk, "key": "c2"}
    )
    assert bad.status_code == 400 and Entry.objects.count() == 1
    assert as_user(points_world.outsider).get(reverse("points:claim")).status_code == 403


@pytest.mark.parametrize(
    "url_name", ["points_admin_publications", "points_admin_objections", "points_admin_ledger"]
)
def test_admin_lists_do_not_grow_in_queries_with_rows(
    points_world, ledger, as_user, django_assert_max_num_queries, url_name
):
    client = as_user(points_world.secretary)
    url = reverse(url_name)
    [entry], _publication = ledger.published((points_world.h[1], "HJ02"))
    services.objection_file(actor=points_world.resident, entry=entry, text="不是我家")
    client.get(url)
    with django_assert_max_num_queries(40) as first:
        client.get(url)
    points_world.day = points_world.day.replace(day=12)
    entries, _publication = ledger.published(
        (points_world.h[2], "HJ02"), (points_world.h[3], "HJ01")
    )
    for e in entries:
        services.objection_file(actor=points_world.neighbour, entry=e, text="有出入")
    with django_assert_max_num_queries(len(first.captured_queries)):
        response = client.get(url)
    assert response.status_code == 200


def test_counter_and_welfare_pages_have_pinned_queries(
    points_world, ledger, as_user, django_assert_num_queries
):
    ledger.open_year(year=points_world.day.year)
    keeper = as_user(points_world.keeper)
    url = reverse("points_admin_counter") + f"?household={points_world.h[1].number}"
    keeper.get(url)
    with django_assert_num_queries(12):
        keeper.get(url)
    secretary = as_user(points_world.secretary)
    secretary.get(reverse("points_admin_welfare"))
    with django_assert_num_queries(13):  # incl. the recent batches of "全村积分存折"
        secretary.get(reverse("points_admin_welfare"))
    services.star_round_rate(
        actor=points_world.secretary,
        village=points_world.village,
        year=points_world.day.year,
        thresholds={"1": 90},
    )
    for title in ("年终奖励", "重阳慰问"):
        services.allocation_create(
            actor=points_world.secretary,
            village=points_world.village,
            year=points_world.day.year,
            title=title,
            pool_fen=999,
        )
    with django_assert_num_queries(13):  # incl. the recent batches of "全村积分存折"
        secretary.get(reverse("points_admin_welfare"))


def test_the_catalogue_is_read_in_the_admin_not_edited(points_world, as_user):
    client = as_user(points_world.secretary)
    index = client.get("/admin/points/rules/")
    assert index.status_code == 200
    html = index.content.decode()
    assert "庭院整洁、门前三包落实" in html and "HJ01" in html
    rule = points_world.rules["HJ01"]
    assert client.get(f"/admin/points/rules/inspect/{rule.pk}/").status_code == 200
    foreign = points_world.foreign.rules["HJ01"]
    assert client.get(f"/admin/points/rules/inspect/{foreign.pk}/").status_code in (302, 403, 404)
    # No one changes a rule in place: entries cite it.
    assert client.get(f"/admin/points/rules/edit/{rule.pk}/").status_code in (302, 403)
    assert client.get("/admin/points/rules/new/").status_code in (302, 403)
    response = client.post(f"/admin/points/rules/edit/{rule.pk}/", {"text": "改", "points": 50})
    assert response.status_code in (302, 403)
    assert reload(rule).points == 5
    assert as_user(points_world.resident).get("/admin/points/rules/").status_code in (302, 403)
