"""Welfare lists under the statute (村民委员会组织法 Art. 24): a star round or an allocation is
published only under the settled resolution of its village whose frozen text quotes exactly its
terms and fingerprint; the allocation list then has its own objection window.

Each refusal is tried the way a cadre in a hurry, or one who wants a different list, would try
it: no resolution, a resolution still in its window, another category, another village, a text
that quotes different terms, the same resolution twice, and every door (service, page, API)."""

import re
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from deliberation.models import Matter
from points import selectors, services, terms
from points.models import Allocation, AllocationObjection
from tests.support.api_tokens import bearer
from tests.support.clock import travel
from tests.support.concurrency import in_threads, outcome_kinds, skip_unless_postgresql
from tests.support.points_world import (
    Ledger,
    deciding_resolution,
    publish_allocation,
    reload,
    resolution_for,
)
from village.models import AuditEvent

POOL = 1_000_00


@pytest.fixture
def draft(points_world):
    """A year-end allocation of ¥1,000 over the year's scores above 60, capped at ¥300."""
    ledger = Ledger(points_world)
    ledger.open_year()
    ledger.post(
        (points_world.h[1], "HJ01"), (points_world.h[2], "HJ01"), (points_world.h[2], "HJ01")
    )
    return services.allocation_create(
        actor=points_world.secretary,
        village=points_world.village,
        year=points_world.day.year,
        title="2026年度年终积分奖励",
        pool_fen=POOL,
        floor=60,
        cap_fen=300_00,
    )


def items_of(allocation, **changes):
    """The allocation's terms with some values changed (label → value)."""
    return [
        (label, changes.get(label, value))
        for label, value in selectors.allocation_terms(allocation)
    ]


def state_of(allocation):
    return (
        Allocation.objects.filter(pk=allocation.pk)
        .values_list("published_at", "matter_ref", "objection_ends_at")
        .get(),
        AuditEvent.objects.filter(action="points.allocation.publish").count(),
    )


# --- through the real procedure ------------------------------------------------------------


def test_the_list_is_published_only_after_the_matter_the_platform_opened_has_settled(
    deliberation_world, procedure
):
    """The secretary's path end to end: draft → 发起议题 → four steps → resolution published →
    its window over → the list published under it, with its own window."""
    w = deliberation_world
    actor = w.secretary.user
    services.year_open(actor=actor, village=w.village, year=timezone.localdate().year)
    allocation = services.allocation_create(
        actor=actor,
        village=w.village,
        year=timezone.localdate().year,
        title="年终积分奖励",
        pool_fen=1_200_00,
        floor=60,
    )
    ref, url = services.allocation_propose(actor=actor, allocation=allocation)
    matter = Matter.objects.get(pk=ref)
    assert url == reverse("deliberation_admin_matter", args=[ref])
    assert matter.category == "collective_income" and matter.estimated_amount_fen == 1_200_00
    fingerprint = selectors.shares_fingerprint(allocation)
    assert f"{terms.FINGERPRINT}：{fingerprint}" in matter.body
    assert reload(allocation).proposed_matter == ref

    def publish():
        return services.allocation_publish(actor=actor, allocation=allocation, resolution=ref)

    with pytest.raises(ValidationError, match="请选择本村已公开的决议"):
        publish()  # a draft matter is no resolution
    matter = procedure.steps_1_to_3(matter)
    procedure.open_vote(matter)
    procedure.resolve(matter)
    procedure.publish(matter, text="决议：同意年终积分奖励分配方案。")
    with pytest.raises(ValidationError, match="还在公开期"):
        publish()  # objections may still come
    procedure.close_publication(matter)
    published = publish()
    assert published.matter_ref == ref
    assert published.resolution_sha256 == Matter.objects.get(pk=ref).frozen_hash
    days = w.village.rules.points_objection_days
    assert published.objection_ends_at == published.published_at + timedelta(days=days)
    event = AuditEvent.objects.get(action="points.allocation.publish")
    assert event.payload["matter"] == ref
    assert event.payload["shares_sha256"] == fingerprint
    assert event.payload["resolution_sha256"] == published.resolution_sha256
    assert AuditEvent.objects.get(action="points.allocation.propose").payload["matter"] == ref


# --- what differs is named ------------------------------------------------------------------


def test_a_resolution_quoting_other_terms_is_refused_naming_each_difference(points_world, draft):
    other = resolution_for(
        points_world.village,
        terms.ALLOCATION,
        items_of(draft, 总额="900.00 元", **{terms.FINGERPRINT: "ab" * 32}),
    )
    before = state_of(draft)
    with pytest.raises(ValidationError) as refused:
        services.allocation_publish(
            actor=points_world.secretary, allocation=draft, resolution=other.pk
        )
    message = refused.value.messages[0]
    assert "总额：决议为“900.00 元”，本名单为“1,000.00 元”" in message
    assert f"{terms.FINGERPRINT}：决议为“{'ab' * 6}…”" in message
    assert "起算分" not in message and "每户上限" not in message  # only what differs
    assert state_of(draft) == before


def test_a_line_left_out_of_the_resolution_is_named_as_not_written(points_world, draft):
    items = [item for item in selectors.allocation_terms(draft) if item[0] != "每户上限"]
    other = resolution_for(points_world.village, terms.ALLOCATION, items)
    with pytest.raises(
        ValidationError, match=re.escape("每户上限：决议为“（未写）”，本名单为“300.00 元”")
    ):
        services.allocation_publish(
            actor=points_world.secretary, allocation=draft, resolution=other.pk
        )


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda w, a: deciding_resolution(w.village, "同意分配。"), "没有【福利分配方案】"),
        (
            lambda w, a: deciding_resolution(
                w.village,
                "\n\n".join([terms.block(terms.ALLOCATION, selectors.allocation_terms(a))] * 2),
            ),
            "或不止一份",
        ),
        (
            lambda w, a: resolution_for(
                w.village, terms.ALLOCATION, selectors.allocation_terms(a), category="homestead"
            ),
            "不是集体经济所得收益使用的决议",
        ),
        (
            lambda w, a: resolution_for(
                w.village, terms.ALLOCATION, selectors.allocation_terms(a), settled=False
            ),
            "还在公开期",
        ),
        (
            lambda w, a: resolution_for(
                w.foreign.village, terms.ALLOCATION, selectors.allocation_terms(a)
            ),
            "请选择本村已公开的决议",
        ),
        (
            lambda w, a: resolution_for(
                w.village, terms.STARS, selectors.allocation_terms(a), title="星级方案"
            ),
            "没有【福利分配方案】",
        ),
    ],
    ids=["no-terms", "terms-twice", "homestead", "in-its-window", "other-village", "stars-block"],
)
def test_no_other_resolution_publishes_the_list(points_world, draft, make, message):
    matter = make(points_world, draft)
    before = state_of(draft)
    with pytest.raises(ValidationError, match=message):
        services.allocation_publish(
            actor=points_world.secretary, allocation=draft, resolution=matter.pk
        )
    assert state_of(draft) == before


def test_a_returned_matter_decides_nothing(points_world, draft):
    matter = resolution_for(
        points_world.village, terms.ALLOCATION, selectors.allocation_terms(draft)
    )
    Matter.objects.filter(pk=matter.pk).update(status="returned")
    with pytest.raises(ValidationError, match="请选择本村已公开的决议"):
        services.allocation_publish(
            actor=points_world.secretary, allocation=draft, resolution=matter.pk
        )


def test_one_resolution_decides_one_list(points_world, draft):
    matter = resolution_for(
        points_world.village, terms.ALLOCATION, selectors.allocation_terms(draft)
    )
    services.allocation_publish(
        actor=points_world.secretary, allocation=draft, resolution=matter.pk
    )
    twin = services.allocation_create(
        actor=points_world.secretary,
        village=points_world.village,
        year=draft.year,
        title=draft.title,
        pool_fen=POOL,
        floor=60,
        cap_fen=300_00,
    )  # the same terms and fingerprint: the resolution quotes it too
    with pytest.raises(ValidationError, match="已经用于公布另一份名单"):
        services.allocation_publish(
            actor=points_world.secretary, allocation=twin, resolution=matter.pk
        )
    assert reload(twin).published_at is None


def test_a_share_changed_after_the_vote_no_longer_matches(points_world, draft):
    """The draft's shares are what the villagers decided: an attacker with the database who
    changes one before publication (dropping the guard to do it) changes the fingerprint."""
    matter = resolution_for(
        points_world.village, terms.ALLOCATION, selectors.allocation_terms(draft)
    )
    share = draft.shares.order_by("rank").first()
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER points_share_no_update")
            cursor.execute(
                "UPDATE points_share SET amount_fen = amount_fen + 1 WHERE id = %s", [share.pk]
            )
        else:
            cursor.execute("SET LOCAL session_replication_role = replica")  # triggers off
            cursor.execute(
                "UPDATE points_share SET amount_fen = amount_fen + 1 WHERE id = %s", [share.pk]
            )
            cursor.execute("SET LOCAL session_replication_role = origin")
    with pytest.raises(ValidationError, match=terms.FINGERPRINT):
        services.allocation_publish(
            actor=points_world.secretary, allocation=draft, resolution=matter.pk
        )


def test_the_published_binding_cannot_be_rewritten_in_the_database(points_world, draft):
    published = publish_allocation(points_world, draft)
    other = deciding_resolution(points_world.village, "另一份决议。")
    for sql in [
        "UPDATE points_allocation SET matter_ref = %s WHERE id = %s",
        "UPDATE points_allocation SET objection_ends_at = NULL, matter_ref = %s WHERE id = %s",
    ]:
        with pytest.raises(DatabaseError), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(sql, [other.pk, published.pk])
    assert reload(published).matter_ref == published.matter_ref


# --- star rounds ------------------------------------------------------------------------------


def test_a_star_round_is_published_only_under_its_thresholds(points_world, draft):
    rnd = services.star_round_rate(
        actor=points_world.secretary,
        village=points_world.village,
        year=points_world.day.year,
        thresholds={"2": 105, "1": 100},
    )
    items = selectors.star_round_terms(rnd)
    assert dict(items)["星级门槛"] == "2星 105 分；1星 100 分"
    looser = [(k, "2星 100 分；1星 90 分" if k == "星级门槛" else v) for k, v in items]
    wrong = resolution_for(points_world.village, terms.STARS, looser, title="星级评定")
    with pytest.raises(ValidationError, match="星级门槛：决议为“2星 100 分；1星 90 分”"):
        services.star_round_publish(
            actor=points_world.secretary, star_round=rnd, resolution=wrong.pk
        )
    assert reload(rnd).published_at is None
    ref, _url = services.star_round_propose(actor=points_world.secretary, star_round=rnd)
    assert terms.block(terms.STARS, items) in Matter.objects.get(pk=ref).body
    right = resolution_for(points_world.village, terms.STARS, items, title="星级评定方案")
    services.star_round_publish(actor=points_world.secretary, star_round=rnd, resolution=right.pk)
    rnd = reload(rnd)
    assert rnd.matter_ref == right.pk and rnd.resolution_sha256 == right.frozen_hash
    assert AuditEvent.objects.get(action="points.stars.publish").payload["matter"] == right.pk


# --- the list's objection window ---------------------------------------------------------------


def test_objections_in_the_window_must_be_answered_before_the_list_is_final(points_world, draft):
    w = points_world
    with pytest.raises(ValidationError, match="名单还没有公布"):
        services.allocation_object(actor=w.resident, allocation=draft, text="我家得分不对")
    published = publish_allocation(w, draft)
    state, until = selectors.allocation_state(published, [])
    assert state == "objecting" and until == published.objection_ends_at
    with pytest.raises(ValidationError):
        services.allocation_object(actor=w.resident, allocation=published, text="  ")
    objection = services.allocation_object(
        actor=w.resident, allocation=published, text="我家孝老爱亲的加分没有算进去"
    )
    after = published.objection_ends_at + timedelta(minutes=1)
    with travel(after):
        with pytest.raises(ValidationError, match="公示期已结束"):
            services.allocation_object(actor=w.neighbour, allocation=published, text="太晚了")
        assert selectors.allocation_state(published, [objection])[0] == "answering"
    with travel(after + timedelta(hours=2)):
        answered = services.allocation_objection_answer(
            actor=w.committee, objection=objection, answer="已核对，加分已计入年度得分。"
        )
        with pytest.raises(ValidationError, match="已经答复过"):
            services.allocation_objection_answer(
                actor=w.committee, objection=answered, answer="改口"
            )
        state, since = selectors.allocation_state(published, [answered])
    assert state == "final" and since == answered.answered_at
    payload = AuditEvent.objects.get(action="points.allocation.object").payload
    assert payload == {"allocation": published.pk, "text": "我家孝老爱亲的加分没有算进去"}
    assert AuditEvent.objects.filter(action="points.allocation.answer").count() == 1


def test_objections_are_never_deleted_nor_their_answers_rewritten(points_world, draft):
    published = publish_allocation(points_world, draft)
    objection = services.allocation_object(
        actor=points_world.resident, allocation=published, text="得分不对"
    )
    services.allocation_objection_answer(
        actor=points_world.committee, objection=objection, answer="已核对无误。"
    )
    table = AllocationObjection._meta.db_table
    for sql in [
        f"DELETE FROM {table} WHERE id = %s",
        f"UPDATE {table} SET answer = '异议成立' WHERE id = %s",
        f"UPDATE {table} SET answered_at = NULL WHERE id = %s",
    ]:
        with pytest.raises(DatabaseError), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(sql, [objection.pk])
    assert reload(objection).answer == "已核对无误。"


# --- who may ----------------------------------------------------------------------------------


def test_only_the_welfare_managers_propose_and_publish(points_world, draft):
    w = points_world
    matter = resolution_for(w.village, terms.ALLOCATION, selectors.allocation_terms(draft))
    for user in (w.inspector, w.officer, w.resident, w.keeper, w.foreign.resident):
        with pytest.raises(PermissionDenied):
            services.allocation_propose(actor=user, allocation=draft)
        with pytest.raises(PermissionDenied):
            services.allocation_publish(actor=user, allocation=draft, resolution=matter.pk)
    assert reload(draft).published_at is None and reload(draft).proposed_matter is None
    published = publish_allocation(w, draft)
    objection = services.allocation_object(actor=w.resident, allocation=published, text="不对")
    for user in (w.inspector, w.resident, w.keeper):
        with pytest.raises(PermissionDenied):
            services.allocation_objection_answer(actor=user, objection=objection, answer="好")
    for user in (w.inspector, w.foreign.resident, w.outsider):
        with pytest.raises(PermissionDenied):
            services.allocation_object(actor=user, allocation=published, text="不对")


def test_the_pages_propose_and_publish_and_refuse_with_the_difference(points_world, draft, as_user):
    w = points_world
    client = as_user(w.secretary)
    url = reverse("points_admin_allocation", args=[draft.pk])
    page = client.get(url).content.decode()
    assert selectors.shares_fingerprint(draft) in page and "发起议题" in page
    response = client.post(url, {"action": "propose"})
    ref = reload(draft).proposed_matter
    assert response.status_code == 302 and response.url == reverse(
        "deliberation_admin_matter", args=[ref]
    )
    wrong = resolution_for(w.village, terms.ALLOCATION, items_of(draft, 起算分="50"))
    page = client.post(url, {"action": "publish", "resolution": wrong.pk}, follow=True)
    assert "起算分：决议为“50”，本名单为“60”" in page.content.decode()
    assert reload(draft).published_at is None
    right = resolution_for(w.village, terms.ALLOCATION, selectors.allocation_terms(draft))
    client.post(url, {"action": "publish", "resolution": right.pk})
    assert reload(draft).matter_ref == right.pk
    # The inspector reads the page, cannot publish or answer through it.
    inspector = as_user(w.inspector)
    assert inspector.get(url).status_code == 200
    objection = services.allocation_object(actor=w.resident, allocation=draft, text="不对")
    inspector.post(url, {"action": "answer", "objection": objection.pk, "answer": "好"})
    assert reload(objection).answered_at is None
    # The villager's page: the state, the resolution, the objection form.
    resident = as_user(w.resident)
    page = resident.get(reverse("points:allocation", args=[draft.pk])).content.decode()
    assert "公示中，可提出异议" in page and 'data-testid="decided-by"' in page
    resident.post(reverse("points:allocation_objection", args=[draft.pk]), {"text": "我家也不对"})
    assert AllocationObjection.objects.filter(allocation=draft).count() == 2


def test_the_api_reads_publishes_and_takes_objections(points_world, draft, client):
    w = points_world
    secretary = bearer(client, w.secretary.username)
    resident = bearer(client, w.resident.username)
    url = f"/api/v1/points/allocations/{draft.pk}"
    assert client.get(url, **resident).status_code == 404  # a draft: cadres only
    body = client.get(url, **secretary).json()
    assert body["state"] == "draft" and body["matter"] is None
    assert {"label": terms.FINGERPRINT, "value": selectors.shares_fingerprint(draft)} in body[
        "terms"
    ]
    proposed = client.post(f"{url}/propose", **secretary)
    assert (
        proposed.status_code == 201 and proposed.json()["matter"] == reload(draft).proposed_matter
    )
    wrong = resolution_for(w.village, terms.ALLOCATION, items_of(draft, 名称="别的名称"))
    refused = client.post(
        f"{url}/publish", {"resolution": wrong.pk}, content_type="application/json", **secretary
    )
    assert refused.status_code == 400 and "名称：决议为“别的名称”" in refused.json()["message"]
    assert (
        client.post(
            f"{url}/publish", {"resolution": wrong.pk}, content_type="application/json", **resident
        ).status_code
        == 404  # a draft is not even there for a villager
    )
    right = resolution_for(w.village, terms.ALLOCATION, selectors.allocation_terms(draft))
    done = client.post(
        f"{url}/publish", {"resolution": right.pk}, content_type="application/json", **secretary
    )
    assert done.status_code == 200 and done.json()["state"] == "objecting"
    filed = client.post(
        f"{url}/objections", {"text": "得分不对"}, content_type="application/json", **resident
    )
    assert filed.status_code == 201
    body = client.get(url, **resident).json()
    assert body["matter"] == right.pk and body["objections"] == 1 and body["answered"] == 0


# --- two at once -------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.usefixtures("flushable_audit_chain")
def test_two_lists_published_at_once_under_one_resolution_one_wins(points_world, draft):
    skip_unless_postgresql()
    twin = services.allocation_create(
        actor=points_world.secretary,
        village=points_world.village,
        year=draft.year,
        title=draft.title,
        pool_fen=POOL,
        floor=60,
        cap_fen=300_00,
    )
    matter = resolution_for(
        points_world.village, terms.ALLOCATION, selectors.allocation_terms(draft)
    )

    def publish(allocation):
        def run():
            return services.allocation_publish(
                actor=points_world.secretary, allocation=allocation, resolution=matter.pk
            )

        return run

    outcomes = in_threads([publish(draft), publish(twin)] * 4, threads=8)
    assert outcome_kinds(outcomes) == {"ok": 1, "invalid": 7}, outcomes
    assert Allocation.objects.filter(matter_ref=matter.pk).count() == 1
    assert AuditEvent.objects.filter(action="points.allocation.publish").count() == 1


def test_the_allocation_page_and_the_audit_endpoint_cost_the_same_for_5_and_20_households(
    points_world, ledger, django_assert_num_queries, as_user, client
):
    """Pinned: the allocation's admin page and `GET /api/v1/points/audit` do not grow with the
    households (the shares are counted and summed in the database)."""
    from tests.factories import HouseholdFactory

    w = points_world
    ledger.open_year()
    secretary = as_user(w.secretary)
    headers = bearer(client, w.inspector.username)
    for extra in (0, 15):
        for _n in range(extra):
            HouseholdFactory(village=w.village, area=w.area1)
        ledger.open_year()
        allocation = services.allocation_create(
            actor=w.secretary,
            village=w.village,
            year=w.day.year,
            title=f"奖励{extra}",
            pool_fen=1_000_00,
        )
        url = reverse("points_admin_allocation", args=[allocation.pk])
        secretary.get(url)  # the session's caches warm
        with django_assert_num_queries(ALLOCATION_PAGE):
            secretary.get(url)
        audit_url = f"/api/v1/points/audit?village={w.village.pk}"
        client.get(audit_url, **headers)  # the token's and roles' caches warm
        with django_assert_num_queries(POINTS_AUDIT + 2 * (extra > 0)):
            client.get(audit_url, **headers)


# The allocation's admin page: Wagtail's admin reads, the allocation, its shares' fingerprint,
# the village's resolutions (2), the objections, the supervision notes.
ALLOCATION_PAGE = 14
# The roles (cached), the village, and the findings (points/audit.py): per allocation shown,
# its top ten and its cadre households' sum (2 each; a second allocation in the second round).
POINTS_AUDIT = 15
