"""乡贤参事 (参事不决事): a village worthy's advisory opinion on a matter before the vote — shown on
the matter, its trail, the audit JSON and its documents, never counted as a vote, refused once
the vote has opened and from anyone else. Implementation: milestones with due and done dates,
the spend and percent on each update, an overdue milestone flagged, and the result publication
carrying the budget against the spend."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from deliberation import compliance, services
from deliberation.models import AdvisoryOpinion, Milestone, PublicationKind, Step
from tests.factories import MembershipFactory
from tests.support.api_tokens import bearer
from tests.support.clock import travel
from tests.support.documents import pdf_text

ADVICE = "租期五年偏长，建议三年一签，租金随行就市调整"


@pytest.fixture
def xiangxian(people):
    MembershipFactory(
        villager=people["x2"], role="xiangxian", start=timezone.localdate() - timedelta(days=90)
    )
    return people["x2"].user


def test_a_xiangxian_advises_before_the_vote_and_it_never_counts(
    procedure, xiangxian, deliberation_world, inspector, client
):
    matter = procedure.create()
    procedure.record(matter, deliberation_world.branch)
    opinion = services.advisory_add(actor=xiangxian, matter=matter, text=ADVICE)
    assert opinion.villager.user == xiangxian
    procedure.record(matter, deliberation_world.two_committees)
    procedure.record(matter, deliberation_world.party_full)
    procedure.open_vote(matter)
    with pytest.raises(ValidationError, match="表决开始后不再收录"):
        services.advisory_add(actor=xiangxian, matter=matter, text="再补充一点")
    meeting = procedure.resolve(matter)
    # Never a vote: the tally is the representatives' hall votes only.
    assert meeting.yes == len(deliberation_world.representatives_body)
    assert meeting.present == len(deliberation_world.representatives_body)
    client.force_login(inspector)
    trail = client.get(reverse("deliberation_admin_trail", args=[matter.pk])).content.decode()
    assert ADVICE in trail
    audit = client.get(
        f"/api/v1/matters/{matter.pk}/audit", **bearer(client, inspector.username)
    ).json()
    assert audit["advisories"] == [
        {"by": opinion.villager.name, "text": ADVICE, "at": audit["advisories"][0]["at"]}
    ]
    pdf = client.get(f"/api/v1/matters/{matter.pk}/audit.pdf", **bearer(client, inspector.username))
    assert ADVICE[:10] in pdf_text(pdf.content).replace("\n", "")


def test_only_a_xiangxian_advises_and_what_they_wrote_stays(
    procedure, xiangxian, deliberation_world, people, inspector
):
    matter = procedure.create()
    for user in (inspector, deliberation_world.secretary.user, people["r1"].user):
        with pytest.raises(PermissionDenied):
            services.advisory_add(actor=user, matter=matter, text=ADVICE)
    with pytest.raises(ValidationError):
        services.advisory_add(actor=xiangxian, matter=matter, text="  ")
    opinion = services.advisory_add(actor=xiangxian, matter=matter, text=ADVICE)
    for sql in [
        "UPDATE deliberation_advisoryopinion SET text = '' WHERE id = %s",
        "DELETE FROM deliberation_advisoryopinion WHERE id = %s",
    ]:
        with pytest.raises(DatabaseError), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(sql, [opinion.pk])
    assert AdvisoryOpinion.objects.get().text == ADVICE


def test_the_matter_page_form_for_the_xiangxian(procedure, xiangxian, client):
    matter = procedure.create()
    client.force_login(xiangxian)
    url = reverse("deliberation_admin_matter", args=[matter.pk])
    assert 'data-testid="advise"' in client.get(url).content.decode()
    client.post(reverse("deliberation_admin_advise", args=[matter.pk]), {"text": ADVICE})
    assert AdvisoryOpinion.objects.get().text == ADVICE
    page = client.get(url).content.decode()
    assert page.count('data-testid="advisory"') == 1


@pytest.fixture
def implementing(procedure):
    matter = procedure.to_vote(estimated_amount_fen=12_000_000)
    procedure.resolve(matter)
    procedure.publish(matter)
    return procedure.close_publication(matter)


def test_milestones_budget_and_an_overdue_flag(implementing, procedure, deliberation_world):
    actor = deliberation_world.secretary.user
    today = timezone.localdate()
    done = services.milestone_add(
        actor=actor, matter=implementing, title="签订流转合同", due_on=today + timedelta(days=5)
    )
    late = services.milestone_add(
        actor=actor, matter=implementing, title="租金到账", due_on=today + timedelta(days=10)
    )
    services.milestone_done(actor=actor, milestone=done)
    with pytest.raises(ValidationError, match="已经完成"):
        services.milestone_done(actor=actor, milestone=done)
    with pytest.raises(ValidationError, match="0 到 100"):
        services.implementation_add(actor=actor, matter=implementing, text="进展", percent=120)
    services.implementation_add(
        actor=actor, matter=implementing, text="合同已签订", spent_fen=3_000_000, percent=40
    )
    flags = [f for f in compliance.check_matter(implementing) if f.code == "milestone"]
    assert [f.ok for f in flags] == [True]  # the other is not due yet
    with travel(timezone.now() + timedelta(days=11)):
        flags = [f for f in compliance.check_matter(implementing) if f.code == "milestone"]
        assert [f.ok for f in flags] == [True, False]
        assert "“租金到账”逾期未完成" in flags[1].reason
        publication = services.result_publish(
            actor=actor, matter=implementing, text="合同履行中，租金已到账一半。"
        )
    assert publication.kind == PublicationKind.RESULT
    assert "预算 120,000.00 元，累计支出 30,000.00 元" in publication.text
    assert "实施节点 2 个，已完成 1 个（按期 1 个）" in publication.text
    # A milestone keeps its plan; its done date is set once — also in SQL.
    for sql in [
        "UPDATE deliberation_milestone SET due_on = '2099-01-01' WHERE id = %s",
        "UPDATE deliberation_milestone SET done_on = NULL WHERE id = %s",
        "DELETE FROM deliberation_milestone WHERE id = %s",
    ]:
        with pytest.raises(DatabaseError), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(sql, [done.pk if "done_on" in sql else late.pk])
    assert Milestone.objects.get(pk=late.pk).due_on == today + timedelta(days=10)
    assert Step.RESULT == flags[1].step


def test_milestones_are_planned_only_after_the_resolution(procedure, deliberation_world):
    matter = procedure.create()
    with pytest.raises(ValidationError, match="决议公开后"):
        services.milestone_add(
            actor=deliberation_world.secretary.user,
            matter=matter,
            title="开工",
            due_on=timezone.localdate(),
        )
