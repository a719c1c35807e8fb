"""The points screens outside the admin: the household's page, the monthly list with
objections, the grid officer's recording form at the door and the household search, and the
household card — permissions, bad input, and pinned query counts."""

import io
import uuid

from django.urls import reverse

from points.cards import card_token
from points.models import Entry, EntryStatus, Objection
from tests.support.points_screens import UntouchedForm
from tests.support.points_world import balance, photo


def test_household_page_shows_balance_history_rules_and_store(points_world, ledger, as_user):
    ledger.open_year(year=points_world.day.year)
    [entry] = ledger.post((points_world.h[1], "HJ01"))
    response = as_user(points_world.resident).get(reverse("points:home"))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-testid="balance-value">{balance(points_world.h[1])}<' in html
    assert entry.reason in html
    assert "洗衣粉" in html and "旧暖瓶" not in html  # off-shelf items are not offered
    assert "赡养老人被评为孝亲之星" in html  # the rules
    assert points_world.h[2].number not in html  # nobody else's household


def test_household_page_query_count_does_not_grow_with_entries(
    points_world, ledger, as_user, django_assert_max_num_queries
):
    client = as_user(points_world.resident)
    ledger.post((points_world.h[1], "HJ01"))
    client.get(reverse("points:home"))  # warm the per-request caches of the session
    with django_assert_max_num_queries(24) as few:
        client.get(reverse("points:home"))
    for _ in range(6):
        ledger.post((points_world.h[1], "HJ02"))
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("points:home"))
    assert response.content.decode().count('class="member"') >= 7


def test_objection_from_the_household_page_during_the_window(points_world, ledger, as_user):
    [entry], _publication = ledger.published((points_world.h[1], "HJ02"))
    client = as_user(points_world.resident)
    page = client.get(reverse("points:home")).content.decode()
    assert reverse("points:objection", args=[entry.pk]) in page
    response = client.post(
        reverse("points:objection", args=[entry.pk]),
        {"text": "那天是邻居家堆的柴火", "next": reverse("points:home")},
    )
    assert response.status_code == 302
    objection = Objection.objects.get(entry=entry)
    assert objection.villager.user == points_world.resident
    # An empty reason is refused with a message and writes nothing.
    response = client.post(
        reverse("points:objection", args=[entry.pk]), {"text": "  "}, follow=True
    )
    assert "请写明异议理由" in response.content.decode()
    assert Objection.objects.filter(entry=entry).count() == 1


def test_outsider_and_foreign_villager_cannot_object_or_see_the_list(points_world, ledger, as_user):
    [entry], publication = ledger.published((points_world.h[1], "HJ02"))
    client = as_user(points_world.foreign.resident)
    assert client.get(reverse("points:publication", args=[publication.pk])).status_code == 404
    response = client.post(reverse("points:objection", args=[entry.pk]), {"text": "不对"})
    assert response.status_code == 404
    assert not Objection.objects.exists()


def test_publication_page_lists_the_month_with_pinned_queries(
    points_world, ledger, as_user, django_assert_num_queries
):
    _entries, publication = ledger.published(
        (points_world.h[1], "HJ01"), (points_world.h[2], "HJ02")
    )
    client = as_user(points_world.neighbour)
    url = reverse("points:publication", args=[publication.pk])
    client.get(url)
    with django_assert_num_queries(4):
        response = client.get(url)
    html = response.content.decode()
    assert points_world.h[1].number in html and points_world.h[2].number in html
    assert html.count("提交异议") == 2


def test_grid_officer_records_with_photo_at_the_door(points_world, as_user):
    client = as_user(points_world.officer)
    found = client.get(reverse("points:record"), {"q": points_world.h[1].number})
    assert f"?household={points_world.h[1].pk}" in found.content.decode()
    form = client.get(reverse("points:record"), {"household": points_world.h[1].pk})
    assert form.status_code == 200
    key = uuid.uuid4().hex
    data = {
        "household": points_world.h[1].pk,
        "rule": points_world.rules["XL01"].pk,
        "occurred_on": points_world.day.isoformat(),
        "reason": "照顾瘫痪婆婆十年",
        "key": key,
    }
    # The rule needs a photo: refused with the message, nothing written.
    response = client.post(reverse("points:record"), data)
    assert response.status_code == 400
    assert "须附照片" in response.content.decode()
    assert not Entry.objects.exists()
    response = client.post(reverse("points:record"), {**data, "photo": photo()})
    assert response.status_code == 302
    entry = Entry.objects.get()
    assert entry.status == EntryStatus.RECORDED and entry.photo
    # The same form sent twice (a double tap) records once.
    client.post(reverse("points:record"), {**data, "photo": photo()})
    assert Entry.objects.count() == 1


def test_the_untouched_recording_form_records_nothing(points_world, as_user):
    client = as_user(points_world.officer)
    page = client.get(reverse("points:record"), {"household": points_world.h[1].pk})
    sent = UntouchedForm()
    sent.feed(page.content.decode())
    assert sent.data["rule"] == ""  # "请选择", not the first rule of the catalogue
    assert sent.data["household"] == str(points_world.h[1].pk)
    response = client.post(reverse("points:record"), sent.data)
    assert response.status_code == 400
    assert "请选择一条积分规则" in response.content.decode()
    assert not Entry.objects.exists()
    # The villager's own claim uses the same form, and refuses the same way.
    claim = as_user(points_world.resident).get(reverse("points:claim"))
    sent = UntouchedForm()
    sent.feed(claim.content.decode())
    assert sent.data["rule"] == ""
    as_user(points_world.resident).post(reverse("points:claim"), sent.data)
    assert not Entry.objects.exists()


def test_grid_officer_cannot_record_outside_the_grid_or_with_a_fake_image(points_world, as_user):
    client = as_user(points_world.officer)
    response = client.post(
        reverse("points:record"),
        {
            "household": points_world.h[4].pk,
            "rule": points_world.rules["HJ01"].pk,
            "occurred_on": points_world.day.isoformat(),
            "key": "k1",
        },
    )
    assert response.status_code == 400
    assert "本网格" in response.content.decode()
    fake = photo()
    fake.file = io.BytesIO(b"MZ\x90\x00 not an image at all")
    fake.size = 24
    response = client.post(
        reverse("points:record"),
        {
            "household": points_world.h[1].pk,
            "rule": points_world.rules["XL01"].pk,
            "occurred_on": points_world.day.isoformat(),
            "key": "k2",
            "photo": fake,
        },
    )
    assert response.status_code == 400
    assert not Entry.objects.exists()


def test_officer_searching_a_household_of_another_area_is_told_where_it_is(points_world, as_user):
    client = as_user(points_world.officer)
    html = client.get(reverse("points:record"), {"q": points_world.h[4].number}).content.decode()
    found = html.split('data-testid="found"', 1)[1]
    assert "该户不在您负责的片区（西片），请联系该片区网格员或村干部。" in found
    # Where, not who: no link to the form, no head's name, no address.
    assert f"?household={points_world.h[4].pk}" not in found
    assert points_world.h[4].head.name not in found
    assert "没有找到" not in found


def test_officer_searching_by_a_head_name_elsewhere_learns_only_the_area(points_world, as_user):
    client = as_user(points_world.officer)
    html = client.get(reverse("points:record"), {"q": points_world.secretary.villager.name})
    found = html.content.decode().split('data-testid="found"', 1)[1]
    assert "（西片）" in found and points_world.h[4].number not in found


def test_officer_searching_a_household_of_another_village_finds_nothing(points_world, as_user):
    client = as_user(points_world.officer)
    other = points_world.foreign.resident.villager.household
    html = client.get(reverse("points:record"), {"q": other.number}).content.decode()
    found = html.split('data-testid="found"', 1)[1]
    assert "没有找到。" in found and "不在您负责的片区" not in found


def test_villager_cannot_open_the_recording_form(points_world, as_user):
    assert as_user(points_world.resident).get(reverse("points:record")).status_code == 403


def test_household_card_leads_each_person_to_their_screen(points_world, as_user, client):
    url = reverse("points:card", args=[card_token(points_world.h[1])])
    assert (
        as_user(points_world.keeper)
        .get(url)["Location"]
        .startswith(reverse("points_admin_counter"))
    )
    assert as_user(points_world.officer).get(url)["Location"].startswith(reverse("points:record"))
    assert as_user(points_world.resident).get(url)["Location"] == reverse("points:home")
    assert as_user(points_world.neighbour).get(url).status_code == 404
    forged = reverse("points:card", args=[f"{points_world.h[1].pk}:forged"])
    assert as_user(points_world.keeper).get(forged).status_code == 404
