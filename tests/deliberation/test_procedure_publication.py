"""After the vote of the 四议两公开 procedure: the publication of the resolution and its days,
objections and their answers, implementation, the publication of the result and the archive."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from deliberation import services
from deliberation.models import (
    MatterStatus,
    Objection,
    PublicationKind,
)
from tests.support.clock import travel

pytestmark = pytest.mark.django_db


# --- publication, objections, implementation, archive ----------------------------------------


@pytest.fixture
def resolved(deliberation_world, procedure):
    matter = procedure.to_vote()
    procedure.resolve(matter)
    assert matter.status == MatterStatus.RESOLVED
    return matter


def test_the_resolution_is_published_for_the_rule_sets_days(
    deliberation_world, procedure, resolved
):
    publication = procedure.publish(resolved)
    assert resolved.status == MatterStatus.PUBLISHING
    assert resolved.current_step == 5
    assert publication.kind == PublicationKind.RESOLUTION
    assert publication.required_days == 7
    assert publication.ends_at - publication.starts_at == timedelta(days=7)
    assert "第三十条" in publication.rule_source


def test_a_failed_vote_cannot_be_published(deliberation_world, procedure):
    matter = procedure.to_vote()
    procedure.resolve(matter, voters=deliberation_world.representatives_body[:5])
    assert matter.status == MatterStatus.RETURNED
    with pytest.raises(ValidationError, match="已通过表决"):
        procedure.publish(matter)
    assert not matter.publications.exists()


def test_the_publication_cannot_close_before_its_days_are_over(
    deliberation_world, procedure, resolved
):
    publication = procedure.publish(resolved)
    with (
        travel(publication.ends_at - timedelta(minutes=1)),
        pytest.raises(ValidationError, match="公开期未满"),
    ):
        services.publication_close(actor=procedure.actor, matter=resolved)
    resolved.refresh_from_db()
    assert resolved.status == MatterStatus.PUBLISHING
    publication.refresh_from_db()
    assert publication.closed_at is None


def test_the_publication_closes_exactly_when_its_days_are_over(
    deliberation_world, procedure, resolved, people
):
    publication = procedure.publish(resolved)
    with (
        travel(publication.ends_at),
        pytest.raises(ValidationError, match="公开期已结束"),
    ):
        services.objection_file(actor=people["x4"].user, publication=publication, text="晚了")
    with travel(publication.ends_at):
        services.publication_close(actor=procedure.actor, matter=resolved)
    publication.refresh_from_db()
    assert publication.closed_at == publication.ends_at
    resolved.refresh_from_db()
    assert resolved.status == MatterStatus.IMPLEMENTING


def test_an_unanswered_objection_blocks_the_end_of_the_publication(
    deliberation_world, procedure, resolved, people
):
    publication = procedure.publish(resolved)
    objection = services.objection_file(
        actor=people["x4"].user, publication=publication, text="租金偏低，建议重新评估。"
    )
    with (
        travel(publication.ends_at + timedelta(hours=1)),
        pytest.raises(ValidationError, match="1 条异议未答复"),
    ):
        services.publication_close(actor=procedure.actor, matter=resolved)
    resolved.refresh_from_db()
    assert resolved.status == MatterStatus.PUBLISHING

    services.objection_answer(
        actor=procedure.actor, objection=objection, answer="租金经第三方评估，高于周边水平。"
    )
    objection.refresh_from_db()
    assert objection.answered and objection.answered_by == procedure.actor
    procedure.close_publication(resolved)
    assert resolved.status == MatterStatus.IMPLEMENTING
    assert resolved.current_step == 6


def test_an_objection_after_the_publication_ended_is_refused(
    deliberation_world, procedure, resolved, people
):
    publication = procedure.publish(resolved)
    with (
        travel(publication.ends_at + timedelta(minutes=1)),
        pytest.raises(ValidationError, match="公开期已结束"),
    ):
        services.objection_file(actor=people["x4"].user, publication=publication, text="反对")
    assert not Objection.objects.exists()


def test_an_objection_from_another_village_is_refused(
    deliberation_world, procedure, resolved, neighbour
):
    publication = procedure.publish(resolved)
    with pytest.raises(PermissionDenied):
        services.objection_file(
            actor=neighbour.people["x1"].user, publication=publication, text="我有意见"
        )
    assert not Objection.objects.exists()


def test_an_empty_objection_is_refused(deliberation_world, procedure, resolved, people):
    publication = procedure.publish(resolved)
    with pytest.raises(ValidationError, match="异议的内容"):
        services.objection_file(actor=people["x4"].user, publication=publication, text="  ")


def test_an_objection_is_answered_once(deliberation_world, procedure, resolved, people):
    publication = procedure.publish(resolved)
    objection = services.objection_file(
        actor=people["x4"].user, publication=publication, text="有疑问"
    )
    services.objection_answer(actor=procedure.actor, objection=objection, answer="已解释")
    with pytest.raises(ValidationError, match="已经答复过"):
        services.objection_answer(actor=procedure.actor, objection=objection, answer="再次答复")


def test_a_villager_cannot_answer_an_objection(deliberation_world, procedure, resolved, people):
    publication = procedure.publish(resolved)
    objection = services.objection_file(
        actor=people["x4"].user, publication=publication, text="有疑问"
    )
    with pytest.raises(PermissionDenied):
        services.objection_answer(actor=people["x5"].user, objection=objection, answer="我来答")


def test_implementation_then_result_publication_then_archive(
    deliberation_world, procedure, resolved
):
    procedure.publish(resolved)
    with pytest.raises(ValidationError, match="决议公开结束后"):
        services.implementation_add(actor=procedure.actor, matter=resolved, text="提前登记")
    procedure.close_publication(resolved)
    with pytest.raises(ValidationError, match="至少一条实施进展"):
        services.result_publish(actor=procedure.actor, matter=resolved, text="结果")
    services.implementation_add(actor=procedure.actor, matter=resolved, text="合同已签订。")
    services.implementation_add(actor=procedure.actor, matter=resolved, text="租金已到账。")
    result = services.result_publish(
        actor=procedure.actor, matter=resolved, text="租金12万元已入账。"
    )
    resolved.refresh_from_db()
    assert resolved.status == MatterStatus.RESULT_PUBLISHING
    assert result.kind == PublicationKind.RESULT
    assert result.required_days == 3
    with pytest.raises(ValidationError, match="公开期未满"):
        services.publication_close(actor=procedure.actor, matter=resolved)
    procedure.close_publication(resolved)
    assert resolved.status == MatterStatus.ARCHIVED
    assert resolved.is_closed
    assert resolved.updates.count() == 2
    with pytest.raises(ValidationError):
        services.implementation_add(actor=procedure.actor, matter=resolved, text="归档后再登记")
