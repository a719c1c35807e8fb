"""New catalogue versions: drafted from the one in effect, edited only while a draft, adopted by
a published resolution of the village, in effect from a day no earlier than that resolution and
today; entries on and after that day cite the new rules, earlier ones keep theirs. And opening
the points year from the admin and from cron."""

from datetime import datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from deliberation.models import MatterStatus
from points import selectors as points_selectors
from points import services
from points.models import Catalogue, Category, Entry, EntryKind, Rule
from tests.support.clock import travel
from tests.support.points_world import actions, published_resolution
from village import audit
from village.models import AuditEvent

SHANGHAI = ZoneInfo("Asia/Shanghai")


def rule_data(points_world, **overrides):
    data = {
        "code": "HJ09",
        "text": "主动清理公共沟渠",
        "points": 4,
        "cap_per_period": None,
        "evidence_required": False,
        "article": "村规民约第三条",
        "category": points_world.categories["环境卫生"].pk,
        "new_category": "",
    }
    return {**data, **overrides}


@pytest.fixture
def draft(points_world):
    return services.catalogue_draft(actor=points_world.secretary, village=points_world.village)


def adopt(points_world, draft, matter, days=1):
    return services.catalogue_adopt(
        actor=points_world.secretary,
        catalogue=draft,
        resolution=matter.pk,
        effective_from=timezone.localdate() + timedelta(days=days),
    )


# --- drafting ------------------------------------------------------------------------------------


def test_a_draft_copies_the_rules_in_effect_and_applies_to_nothing(points_world, draft):
    assert draft.version == 2 and draft.is_draft
    assert draft.title == points_world.catalogue.title
    old = {r.code: (r.text, r.points, r.category_id) for r in points_world.catalogue.rules.all()}
    new = {r.code: (r.text, r.points, r.category_id) for r in draft.rules.all()}
    assert new == old and len(new) == 5
    # The draft is not in effect: today's rules are still version 1's.
    assert (
        points_selectors.catalogue_on(points_world.village, timezone.localdate())
        == points_world.catalogue
    )
    assert set(points_selectors.rules_on(points_world.village, timezone.localdate())) == set(
        points_world.rules.values()
    )
    event = AuditEvent.objects.get(action="points.catalogue.draft")
    assert event.payload == {"version": 2, "title": draft.title, "based_on": 1, "rules": 5}
    assert event.actor == points_world.secretary


def test_one_draft_at_a_time(points_world, draft):
    with pytest.raises(ValidationError) as caught:
        services.catalogue_draft(actor=points_world.secretary, village=points_world.village)
    assert caught.value.code == "exists"
    assert Catalogue.objects.filter(village=points_world.village).count() == 2


@pytest.mark.parametrize("who", ["officer", "keeper", "inspector", "resident", "outsider"])
def test_only_the_secretary_and_the_village_committee_draft(points_world, who):
    with pytest.raises(PermissionDenied):
        services.catalogue_draft(actor=getattr(points_world, who), village=points_world.village)
    with pytest.raises(PermissionDenied):
        services.catalogue_draft(actor=points_world.foreign.secretary, village=points_world.village)
    assert Catalogue.objects.filter(village=points_world.village).count() == 1
    assert services.catalogue_draft(
        actor=points_world.committee, village=points_world.village
    ).is_draft


def test_a_draft_rule_is_added_changed_and_removed_each_in_the_chain(points_world, draft):
    added = services.catalogue_rule_save(
        actor=points_world.secretary,
        catalogue=draft,
        data=rule_data(points_world, new_category="平安建设"),
    )
    assert added.catalogue == draft and added.category.name == "平安建设"
    assert Category.objects.filter(village=points_world.village, name="平安建设").count() == 1
    hj02 = draft.rules.get(code="HJ02")
    services.catalogue_rule_save(
        actor=points_world.secretary,
        catalogue=draft,
        rule=hj02,
        data=rule_data(points_world, code="HJ02", points=-5),
    )
    assert Rule.objects.get(pk=hj02.pk).points == -5
    assert points_world.rules["HJ02"].points == -3  # version 1 untouched
    services.catalogue_rule_remove(actor=points_world.secretary, rule=draft.rules.get(code="FL01"))
    assert sorted(draft.rules.values_list("code", flat=True)) == [
        "HJ01",
        "HJ02",
        "HJ09",
        "XL01",
        "ZY01",
    ]
    events = AuditEvent.objects.filter(action="points.catalogue.rule").order_by("seq")
    changes = [(e.payload["before"], e.payload["after"]) for e in events]
    assert changes[0][0] is None and changes[0][1]["code"] == "HJ09"
    assert (changes[1][0]["points"], changes[1][1]["points"]) == (-3, -5)
    assert changes[2][0]["code"] == "FL01" and changes[2][1] is None
    assert Rule.history.filter(code="FL01", history_type="-").count() == 1
    assert audit.verify_all() == []


@pytest.mark.parametrize(
    "bad, field",
    [
        ({"code": "HJ01"}, "__all__"),  # the draft has an HJ01 already
        ({"points": 0}, "points"),
        ({"text": "  "}, "text"),
        ({"category": None}, "category"),
        ({"category": 999999}, "category"),
        ({"code": "X" * 13}, "code"),
    ],
)
def test_a_bad_rule_is_refused_and_nothing_is_written(points_world, draft, bad, field):
    before = draft.rules.count()
    with pytest.raises(ValidationError) as caught:
        services.catalogue_rule_save(
            actor=points_world.secretary, catalogue=draft, data=rule_data(points_world, **bad)
        )
    assert field in caught.value.message_dict
    assert draft.rules.count() == before
    assert not AuditEvent.objects.filter(action="points.catalogue.rule").exists()


def test_a_foreign_category_cannot_be_used(points_world, draft):
    foreign_category = Category.objects.filter(village=points_world.foreign.village).first()
    with pytest.raises(ValidationError):
        services.catalogue_rule_save(
            actor=points_world.secretary,
            catalogue=draft,
            data=rule_data(points_world, category=foreign_category.pk),
        )


# --- an adopted catalogue never changes -----------------------------------------------------


def test_an_adopted_catalogues_rules_never_change(points_world):
    rule = points_world.rules["HJ01"]
    with pytest.raises(ValidationError):
        services.catalogue_rule_save(
            actor=points_world.secretary,
            catalogue=points_world.catalogue,
            rule=rule,
            data=rule_data(points_world, code="HJ01"),
        )
    with pytest.raises(ValidationError):
        services.catalogue_rule_remove(actor=points_world.secretary, rule=rule)
    rule.points = 50
    with pytest.raises(ValidationError):
        rule.save()  # the model refuses too
    with pytest.raises(ValidationError):
        Rule(
            catalogue=points_world.catalogue,
            category=rule.category,
            code="NEW1",
            text="x",
            points=1,
        ).save()
    with pytest.raises(ValidationError):
        Rule.objects.get(pk=rule.pk).delete()
    points_world.catalogue.effective_from -= timedelta(days=30)
    with pytest.raises(ValidationError):
        points_world.catalogue.save()
    assert Rule.objects.get(pk=rule.pk).points == 5
    assert points_world.catalogue.rules.count() == 5


def test_a_rule_cannot_be_moved_out_of_an_adopted_catalogue(points_world, draft):
    rule = Rule.objects.get(pk=points_world.rules["HJ01"].pk)
    rule.catalogue = draft
    rule.code = "HJ77"
    with pytest.raises(ValidationError):
        rule.save()
    assert Rule.objects.get(pk=rule.pk).catalogue == points_world.catalogue


# --- adoption ------------------------------------------------------------------------------------


def test_adopted_by_a_resolution_the_new_rules_apply_from_the_day_chosen(
    points_world, ledger, draft
):
    matter = published_resolution(points_world.village)
    services.catalogue_rule_save(
        actor=points_world.secretary, catalogue=draft, data=rule_data(points_world)
    )
    before = ledger.record(points_world.h[1], "HJ01", day=timezone.localdate())
    adopted = adopt(points_world, draft, matter, days=3)

    assert not adopted.is_draft and adopted.adopted_matter == matter.pk
    assert matter.title in adopted.adopted_by
    event = AuditEvent.objects.get(action="points.catalogue.adopt")
    assert event.payload["resolution"] == matter.pk
    assert event.payload["rules"] == 6
    assert event.payload["rules_sha256"] == points_selectors.rules_fingerprint(adopted)
    # Until the day it takes effect, version 1 applies; the entry made before keeps its rule.
    assert (
        points_selectors.catalogue_on(points_world.village, timezone.localdate())
        == points_world.catalogue
    )
    effective = adopted.effective_from
    with travel(datetime(effective.year, effective.month, effective.day, 9, tzinfo=SHANGHAI)):
        assert points_selectors.catalogue_on(points_world.village, effective) == adopted
        new_hj09 = adopted.rules.get(code="HJ09")
        entry = services.entry_record(
            actor=points_world.officer,
            household=points_world.h[1],
            rule=new_hj09,
            occurred_on=effective,
        )
        assert entry.rule == new_hj09
        with pytest.raises(ValidationError) as caught:  # the old version no longer applies
            services.entry_record(
                actor=points_world.officer,
                household=points_world.h[1],
                rule=points_world.rules["HJ01"],
                occurred_on=effective,
            )
        assert "rule" in caught.value.message_dict
    assert Entry.objects.get(pk=before.pk).rule == points_world.rules["HJ01"]
    assert audit.verify_all() == []


def test_adoption_needs_a_standing_published_resolution_of_the_village(points_world, draft):
    returned = published_resolution(points_world.village, status=MatterStatus.RETURNED)
    foreign = published_resolution(points_world.foreign.village)
    for matter_id in (returned.pk, foreign.pk, 0, 987654):
        with pytest.raises(ValidationError) as caught:
            services.catalogue_adopt(
                actor=points_world.secretary,
                catalogue=draft,
                resolution=matter_id,
                effective_from=timezone.localdate() + timedelta(days=1),
            )
        assert "resolution" in caught.value.message_dict
    assert Catalogue.objects.get(pk=draft.pk).is_draft
    assert not AuditEvent.objects.filter(action="points.catalogue.adopt").exists()


def test_adoption_is_never_backdated(points_world, draft):
    matter = published_resolution(points_world.village, days_ago=-3)  # published in three days
    today = timezone.localdate()
    for day in (today - timedelta(days=1), today + timedelta(days=2)):
        with pytest.raises(ValidationError) as caught:
            services.catalogue_adopt(
                actor=points_world.secretary,
                catalogue=draft,
                resolution=matter.pk,
                effective_from=day,
            )
        assert "effective_from" in caught.value.message_dict
    assert Catalogue.objects.get(pk=draft.pk).is_draft
    adopted = services.catalogue_adopt(
        actor=points_world.secretary,
        catalogue=draft,
        resolution=matter.pk,
        effective_from=today + timedelta(days=3),
    )
    assert not adopted.is_draft


def test_a_new_version_starts_after_the_last_adopted_one(points_world, draft):
    matter = published_resolution(points_world.village)
    second = adopt(points_world, draft, matter, days=10)
    third = services.catalogue_draft(actor=points_world.secretary, village=points_world.village)
    assert third.version == 3
    assert third.rules.count() == 5  # copied from version 2, the newest adopted
    with pytest.raises(ValidationError):
        adopt(points_world, third, matter, days=10)  # the same day as version 2
    assert adopt(
        points_world, third, matter, days=11
    ).effective_from == second.effective_from + timedelta(days=1)


def test_an_empty_draft_cannot_be_adopted(points_world, draft):
    for rule in list(draft.rules.all()):
        services.catalogue_rule_remove(actor=points_world.secretary, rule=rule)
    with pytest.raises(ValidationError) as caught:
        adopt(points_world, draft, published_resolution(points_world.village))
    assert caught.value.code == "empty"


def test_an_adopted_version_cannot_be_adopted_again(points_world, draft):
    matter = published_resolution(points_world.village)
    adopt(points_world, draft, matter)
    with pytest.raises(ValidationError) as caught:
        adopt(points_world, Catalogue.objects.get(pk=draft.pk), matter, days=5)
    assert caught.value.code == "adopted"
    assert actions(points_world.village).count("points.catalogue.adopt") == 1


# --- the admin screens ---------------------------------------------------------------------------


def test_the_secretary_drafts_edits_and_adopts_in_the_admin(client, points_world):
    matter = published_resolution(points_world.village)
    client.force_login(points_world.secretary)
    url = reverse("points_admin_catalogues")
    page = client.get(url)
    assert page.status_code == 200
    assert "东毛铺村积分细则" in page.content.decode() and "现行" in page.content.decode()
    response = client.post(url, {"village": points_world.village.pk, "title": ""})
    draft = Catalogue.objects.get(village=points_world.village, version=2)
    assert response.status_code == 302 and response.url == reverse(
        "points_admin_catalogue", args=[draft.pk]
    )
    detail = reverse("points_admin_catalogue", args=[draft.pk])
    form = rule_data(points_world, evidence_required="1", cap_per_period="2")
    form = {k: ("" if v is None else v) for k, v in form.items()}
    client.post(detail, {**form, "action": "save_rule"})
    added = draft.rules.get(code="HJ09")
    assert (added.evidence_required, added.cap_per_period) == (True, 2)
    # bad input: a clear message, nothing written
    response = client.post(detail, {**form, "code": "HJ10", "points": "五", "action": "save_rule"})
    assert response.status_code == 302
    assert not draft.rules.filter(code="HJ10").exists()
    page = client.get(detail)
    assert "分值须为整数" in page.content.decode()
    assert matter.title in page.content.decode()  # offered as the adopting resolution
    day = (timezone.localdate() + timedelta(days=1)).isoformat()
    client.post(detail, {"action": "adopt", "resolution": matter.pk, "effective_from": day})
    assert not Catalogue.objects.get(pk=draft.pk).is_draft
    page = client.get(detail)
    assert "规则指纹" in page.content.decode()
    assert 'name="action" value="save_rule"' not in page.content.decode()


def test_the_catalogue_pages_query_counts_do_not_grow_with_rules(
    client, points_world, django_assert_num_queries
):
    draft = services.catalogue_draft(actor=points_world.secretary, village=points_world.village)
    client.force_login(points_world.secretary)
    detail = reverse("points_admin_catalogue", args=[draft.pk])
    listing = reverse("points_admin_catalogues")
    client.get(detail), client.get(listing)  # warm the session
    counts = []
    for extra in (0, 20):
        for i in range(extra):
            services.catalogue_rule_save(
                actor=points_world.secretary,
                catalogue=draft,
                data=rule_data(points_world, code=f"N{extra}{i:02d}"),
            )
        with CaptureQueriesContext(connection) as detail_queries:
            assert client.get(detail).status_code == 200
        with CaptureQueriesContext(connection) as list_queries:
            assert client.get(listing).status_code == 200
        counts.append((len(detail_queries), len(list_queries)))
    assert counts[0] == counts[1]
    with django_assert_num_queries(counts[0][0]):
        client.get(detail)


def test_others_read_the_versions_but_cannot_draft(client, points_world):
    client.force_login(points_world.inspector)
    page = client.get(reverse("points_admin_catalogues"))
    assert page.status_code == 200 and "东毛铺村积分细则" in page.content.decode()
    assert 'data-testid="draft"' not in page.content.decode()
    client.post(reverse("points_admin_catalogues"), {"village": points_world.village.pk})
    assert Catalogue.objects.filter(village=points_world.village).count() == 1
    client.force_login(points_world.foreign.secretary)
    draft = services.catalogue_draft(actor=points_world.secretary, village=points_world.village)
    assert client.get(reverse("points_admin_catalogue", args=[draft.pk])).status_code == 404
    response = client.post(
        reverse("points_admin_catalogue", args=[draft.pk]),
        {**rule_data(points_world, cap_per_period=""), "action": "save_rule"},
    )
    assert response.status_code == 404
    assert draft.rules.count() == 5
    client.force_login(points_world.resident)
    assert client.get(reverse("points_admin_catalogues")).status_code in (302, 403)


@pytest.mark.parametrize("value", ["abc", "²", "99999999999999999999", ""])
def test_bad_ids_on_the_draft_page_are_a_404_or_a_message(client, points_world, draft, value):
    client.force_login(points_world.secretary)
    detail = reverse("points_admin_catalogue", args=[draft.pk])
    assert client.post(detail, {"action": "remove_rule", "rule": value}).status_code == 404
    response = client.post(detail, {"action": "adopt", "resolution": value})
    assert response.status_code == 302
    assert client.post(reverse("points_admin_catalogues"), {"village": value}).status_code == 302
    assert draft.rules.count() == 5 and Catalogue.objects.get(pk=draft.pk).is_draft


# --- opening the year ----------------------------------------------------------------------------


def test_the_year_cannot_be_opened_ahead_of_time_or_out_of_order(points_world, ledger):
    this_year = timezone.localdate().year
    with pytest.raises(ValidationError) as caught:
        ledger.open_year(year=this_year + 1)
    assert caught.value.code == "future"
    ledger.open_year(year=this_year)
    with pytest.raises(ValidationError) as caught:
        ledger.open_year(year=this_year - 1)
    assert caught.value.code == "past"
    assert set(Entry.objects.filter(kind=EntryKind.OPENING).values_list("year", flat=True)) == {
        this_year
    }


def test_the_admin_button_opens_this_year_once(client, points_world):
    client.force_login(points_world.secretary)
    url = reverse("points_admin_year_open")
    assert client.post(url, {"village": points_world.village.pk}).status_code == 302
    assert Entry.objects.filter(kind=EntryKind.OPENING, village=points_world.village).count() == 5
    client.post(url, {"village": points_world.village.pk})
    assert Entry.objects.filter(kind=EntryKind.OPENING, village=points_world.village).count() == 5
    client.force_login(points_world.officer)
    client.post(url, {"village": points_world.foreign.village.pk})
    assert not Entry.objects.filter(village=points_world.foreign.village).exists()
    assert client.get(url).status_code == 405


def test_the_cron_command_opens_every_village_and_is_idempotent(points_world):
    out = StringIO()
    call_command("open_points_year", stdout=out)
    assert Entry.objects.filter(kind=EntryKind.OPENING, village=points_world.village).count() == 5
    assert (
        Entry.objects.filter(kind=EntryKind.OPENING, village=points_world.foreign.village).count()
        == 2
    )
    call_command("open_points_year", stdout=out)
    assert Entry.objects.filter(kind=EntryKind.OPENING).count() == 7
    assert AuditEvent.objects.filter(action="points.year.open").count() == 2
    with pytest.raises(CommandError):
        call_command("open_points_year", "--year", str(timezone.localdate().year + 1))
    with pytest.raises(CommandError):
        call_command("open_points_year", "--village", "nowhere")
