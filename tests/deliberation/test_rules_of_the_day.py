"""Each meeting judged by the rules of its day: a change to the rule set is a new version with
the day it takes effect, never earlier than the day it is made; a meeting held before that day
keeps the verdict of the version it was held under (also when an inspector's compliance check
recomputes it), one held from that day on is judged by the new one; versions are never changed
or deleted, by any door; the township sees, before a version takes effect, which pending
matters' meetings it would have judged otherwise."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from deliberation import compliance
from deliberation.models import MatterStatus, Step
from tests.support.clock import travel
from village import services
from village.models import AuditEvent, RuleSet
from village.permissions import SYSTEM

STRICTER = {"party_quorum": ">=2/3"}  # 7 of 12 full members met ≥ 1/2, not ≥ 2/3


def to_party_step(world, procedure, title):
    matter = procedure.create(title)
    procedure.record(matter, world.branch)
    procedure.record(matter, world.two_committees)
    return matter


def party_meeting(world, procedure, matter):
    """The party members' meeting with 7 of the 12 full members present, all voting yes."""
    return procedure.record(matter, world.party_full, present=world.party_full[:7])


def quorum_flags(matter):
    return [f for f in compliance.check_matter(matter) if f.code == "quorum"]


def test_a_meeting_held_under_v1_stays_green_after_v2_raises_the_threshold(
    deliberation_world, procedure
):
    w = deliberation_world
    earlier = to_party_step(w, procedure, "旧议题")
    held = party_meeting(w, procedure, earlier)
    assert held.quorum_met and held.verdict["rule_set"]["version"] == 1
    tomorrow = timezone.localdate() + timedelta(days=1)
    v2 = services.ruleset_update(
        actor=SYSTEM,
        ruleset=w.village.rules,
        effective_from=tomorrow,
        reason="镇党委要求党员大会三分之二以上到会",
        **STRICTER,
    )
    assert v2.version == 2
    later = to_party_step(w, procedure, "今天的议题")
    # The day before v2: still v1's rules.
    assert party_meeting(w, procedure, later).quorum_met is True
    with travel(timezone.now() + timedelta(days=1)):
        assert all(f.ok for f in quorum_flags(earlier))  # v1 judged it, v2 does not re-judge
        assert all(f.ok for f in quorum_flags(later))
        newest = to_party_step(w, procedure, "明天的议题")
        meeting = party_meeting(w, procedure, newest)
        assert meeting.quorum_met is False  # the first day of v2: v2's rules
        assert meeting.verdict["rule_set"] == {"version": 2, "effective_from": tomorrow.isoformat()}
        newest.refresh_from_db()
        assert newest.status == MatterStatus.RETURNED
        # Each judged by its own day's version: the reason names the rule applied.
        assert "要求 ≥ 2/3" in quorum_flags(newest)[-1].reason  # recorded as failed: ok
        assert "要求 ≥ 1/2" in quorum_flags(earlier)[-1].reason


def test_a_version_never_takes_effect_before_the_day_it_is_made(deliberation_world):
    w = deliberation_world
    before = RuleSet.objects.count(), AuditEvent.objects.count()
    with pytest.raises(ValidationError) as refused:
        services.ruleset_update(
            actor=SYSTEM,
            ruleset=w.village.rules,
            effective_from=timezone.localdate() - timedelta(days=1),
            **STRICTER,
        )
    assert "生效日期不能早于今天" in str(refused.value)
    assert (RuleSet.objects.count(), AuditEvent.objects.count()) == before


def test_a_version_is_never_changed_or_deleted_by_any_door(deliberation_world, client):
    w = deliberation_world
    v1 = w.village.rules
    v1.party_quorum = ">=2/3"
    with pytest.raises(DatabaseError), transaction.atomic():
        v1.save()  # the ORM
    with pytest.raises(DatabaseError), transaction.atomic():
        RuleSet.objects.filter(pk=v1.pk).update(party_quorum=">=2/3")  # QuerySet.update
    for sql in [
        "UPDATE village_ruleset SET party_quorum = '>=1/3' WHERE id = %s",
        "DELETE FROM village_ruleset WHERE id = %s",
    ]:
        with pytest.raises(DatabaseError), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(sql, [v1.pk])
    assert RuleSet.objects.get(pk=v1.pk).party_quorum == ">=1/2"


def test_the_admin_form_makes_the_next_version_from_the_day_chosen(deliberation_world, client):
    from django.contrib.auth import get_user_model

    from tests.factories import TownshipMembershipFactory

    w = deliberation_world
    admin = get_user_model().objects.create_user("township-admin")
    TownshipMembershipFactory(
        township=w.village.township,
        user=admin,
        role="township_admin",
        start=timezone.localdate() - timedelta(days=30),
    )
    client.force_login(admin)
    v1 = w.village.rules
    url = f"/admin/ruleset/edit/{v1.pk}/"
    page = client.get(url)
    form = page.context["form"]
    assert form.initial["effective_from"] == timezone.localdate() + timedelta(days=1)
    data = {
        name: ("" if value is None else value)
        for name, value in {
            **{n: form.initial.get(n, getattr(v1, n, "")) for n in form.fields},
        }.items()
    }
    for name in ("online_voter_counts_present", "allow_joint_branch_committees"):
        if not data.get(name):
            data.pop(name, None)
    data.update(
        party_quorum=">=2/3",
        effective_from=(timezone.localdate() + timedelta(days=10)).isoformat(),
        reason="镇里统一要求",
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:1500]
    v2 = RuleSet.objects.get(village=w.village, version=2)
    assert (v2.party_quorum, v2.reason) == (">=2/3", "镇里统一要求")
    assert v2.effective_from == timezone.localdate() + timedelta(days=10)
    assert RuleSet.objects.get(pk=v1.pk).party_quorum == ">=1/2"
    event = AuditEvent.objects.get(action="village.rules.update")
    assert event.payload["version"] == 2 and event.payload["reason"] == "镇里统一要求"


def test_the_township_sees_which_pending_matters_a_version_would_have_turned(
    deliberation_world, procedure, inspector, client, django_assert_max_num_queries
):
    w = deliberation_world
    pending = to_party_step(w, procedure, "待办议题")
    party_meeting(w, procedure, pending)  # passed with 7 of 12
    unaffected = to_party_step(w, procedure, "全员到会的议题")
    procedure.record(unaffected, w.party_full)  # 12 of 12: passes under either
    v2 = services.ruleset_update(
        actor=SYSTEM,
        ruleset=w.village.rules,
        effective_from=timezone.localdate() + timedelta(days=7),
        **STRICTER,
    )
    changes = compliance.verdict_changes(w.village, v2)
    assert [(c["matter"].pk, c["meeting"].step) for c in changes] == [(pending.pk, Step.PARTY)]
    assert changes[0]["before"]["passed"] and not changes[0]["after"]["passed"]
    assert changes[0]["judged_by"].version == 1
    client.force_login(inspector)
    url = reverse("deliberation_admin_rules_impact")
    with django_assert_max_num_queries(25):
        html = client.get(url).content.decode()
    assert html.count('data-testid="verdict-change"') == 1 and "待办议题" in html
    assert "全员到会的议题" not in html
    # Once in force, the version is no longer pending: nothing to preview.
    with travel(timezone.now() + timedelta(days=7)):
        html = client.get(url).content.decode()
    assert "没有待生效的议事规则版本" in html
