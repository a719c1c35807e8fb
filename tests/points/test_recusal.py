"""回避 on the ledger, and what the inspector reads of points and welfare
(`GET /api/v1/points/audit`): a cadre never records or reviews their own household's points
unnoticed — recording needs a stated reason, which the inspector sees; reviewing is refused;
allocations and redemptions concentrated on cadre households are flagged with the figures; a
published list with no resolution, a disputed list and unanswered objections are flagged."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from points import audit, services
from points.models import Allocation, Entry
from tests.support.api_tokens import bearer
from tests.support.points_world import reload
from village.models import AuditEvent
from village.permissions import villager_of

WHY = "本片区只有我一名网格员，书记外出，现场拍照为证"


def own(world, user):
    """The household the roster puts `user` in."""
    return villager_of(user).household


def test_an_officer_recording_their_own_household_must_say_why_and_is_flagged(points_world, ledger):
    w = points_world
    home = own(w, w.officer)
    before = Entry.objects.count(), AuditEvent.objects.count()
    with pytest.raises(ValidationError, match="回避"):
        ledger.record(home, actor=w.officer)
    assert (Entry.objects.count(), AuditEvent.objects.count()) == before
    entry = ledger.record(home, actor=w.officer, recusal=WHY)
    assert entry.recusal_note == WHY
    payload = AuditEvent.objects.get(action="points.entry.record").payload
    assert payload["recusal"] == WHY
    flags = [f for f in audit.welfare_flags(w.village) if f.code == "recusal"]
    assert [f.ok for f in flags] == [False]
    assert home.number in flags[0].reason and WHY in flags[0].reason
    # Another household of the officer's area needs no reason and raises no flag.
    other = ledger.record(w.h[1], actor=w.officer)
    assert other.recusal_note is None


def test_a_cadre_never_reviews_their_own_household(points_world, ledger):
    w = points_world
    home = own(w, w.committee)
    entry = services.entry_claim(actor=w.keeper, rule=w.rules["HJ01"])  # a member claims it
    assert entry.account.household_id == home.pk
    with pytest.raises(ValidationError, match="回避，本户的积分须由其他干部审核"):
        services.entries_review(actor=w.committee, entries=[entry], approve=True)
    assert reload(entry).status == "claimed"
    services.entries_review(actor=w.secretary, entries=[entry], approve=True)
    assert reload(entry).status == "reviewed"


def test_the_recording_form_asks_for_the_reason_only_at_the_own_door(points_world, as_user):
    w = points_world
    client = as_user(w.officer)
    home = own(w, w.officer)
    url = reverse("points:record") + f"?household={home.pk}"
    page = client.get(url).content.decode()
    assert "回避说明" in page
    assert (
        "回避说明"
        not in client.get(reverse("points:record") + f"?household={w.h[1].pk}").content.decode()
    )
    data = {
        "household": home.pk,
        "rule": w.rules["HJ01"].pk,
        "occurred_on": w.day.isoformat(),
        "key": "k-1",
    }
    response = client.post(url, data)
    assert response.status_code == 400 and "回避" in response.content.decode()
    assert not Entry.objects.exists()
    client.post(url, {**data, "recusal": WHY})
    assert Entry.objects.get().recusal_note == WHY


def test_the_inspector_reads_the_findings_through_the_api(points_world, ledger, client):
    w = points_world
    ledger.record(own(w, w.officer), actor=w.officer, recusal=WHY)
    headers = bearer(client, w.inspector.username)
    body = client.get(f"/api/v1/points/audit?village={w.village.pk}", **headers).json()
    assert body["red_flags"] == 1
    [flag] = [f for f in body["flags"] if f["code"] == "recusal"]
    assert flag["label"] == "回避" and WHY in flag["reason"] and not flag["ok"]
    # A villager may not; another township's inspector does not see the village.
    assert (
        client.get(
            f"/api/v1/points/audit?village={w.village.pk}", **bearer(client, w.resident.username)
        ).status_code
        == 403
    )
    far = client.get(f"/api/v1/points/audit?village={w.foreign.village.pk}", **headers)
    assert far.status_code == 404


def test_an_allocation_concentrated_on_cadre_households_is_flagged_with_its_figures(
    points_world, ledger
):
    """Cadres live in h3 (officer), h4 (secretary) and h5 (committee): three of five
    households. With the other two made ineligible, the whole ¥1,000 pool goes to them."""
    w = points_world
    ledger.open_year()
    allocation = services.allocation_create(
        actor=w.secretary,
        village=w.village,
        year=w.day.year,
        title="年终奖励",
        pool_fen=1_000_00,
        floor=50,
        ineligible={w.h[1].pk: "未参加", w.h[2].pk: "未参加"},
    )
    [flag] = [
        f
        for f in audit.welfare_flags(w.village)
        if f.code == "concentration" and f.subject == f"points.allocation:{allocation.pk}"
    ]
    assert not flag.ok
    assert "前十名中 3 户为村干部户" in flag.reason
    assert "分得 1,000.00 元，占 100%" in flag.reason and "村干部户占全村 60%" in flag.reason


def test_a_list_published_before_the_rule_is_flagged_as_not_resolved(points_world, ledger):
    w = points_world
    ledger.open_year()
    allocation = services.allocation_create(
        actor=w.secretary, village=w.village, year=w.day.year, title="旧分配", pool_fen=500_00
    )
    # Published before publishing needed a resolution (rows as an older version left them).
    Allocation.objects.filter(pk=allocation.pk).update(published_at=w.secretary.date_joined)
    flags = [f for f in audit.welfare_flags(w.village) if f.code == "unresolved"]
    assert [f.reason.startswith("分配未经决议：旧分配") for f in flags] == [True]


def test_a_reversal_of_the_secretarys_own_household_needs_a_reason_and_is_flagged(
    points_world, ledger
):
    w = points_world
    home = own(w, w.secretary)
    ledger.open_year()
    entry = Entry.objects.get(account__household=home, kind="opening")
    before = Entry.objects.count()
    with pytest.raises(ValidationError, match="回避"):
        services.entry_reverse(actor=w.secretary, entry=entry, reason="检查记录有误")
    assert Entry.objects.count() == before
    reversal = services.entry_reverse(
        actor=w.secretary,
        entry=entry,
        reason="检查记录有误",
        recusal="本村仅书记可冲正，已请监委会到场",
    )
    assert reversal.recusal_note.startswith("本村仅书记可冲正")
    assert [f.code for f in audit.welfare_flags(w.village) if not f.ok] == ["recusal"]
