"""Who may manage matters in the 四议两公开 procedure, and its audit trail: every transition
audited, a refused action audits nothing, nothing deleted, and the village chain anchored in the
township chain."""

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db.models import ProtectedError
from django.utils import timezone

from deliberation import services
from deliberation.models import (
    Matter,
    MatterStatus,
    Meeting,
)
from tests.support.deliberation_trail import actions
from tests.support.deliberation_world import ids
from village import audit
from village.models import AuditEvent, AuditHead

pytestmark = pytest.mark.django_db


# --- permissions of the procedure -------------------------------------------------------------


def test_only_cadres_of_the_village_manage_matters(
    deliberation_world, procedure, people, inspector, neighbour
):
    with pytest.raises(PermissionDenied):
        services.matter_create(
            actor=people["x3"].user,
            village=deliberation_world.village,
            title="村民自己立项",
            body="内容",
            category="other",
            origin="suggestion",
        )
    with pytest.raises(PermissionDenied):
        services.matter_create(
            actor=inspector,
            village=deliberation_world.village,
            title="巡查立项",
            body="内容",
            category="other",
            origin="higher",
        )
    with pytest.raises(PermissionDenied):
        services.matter_create(
            actor=neighbour.secretary.user,
            village=deliberation_world.village,
            title="邻村书记立项",
            body="内容",
            category="other",
            origin="cadre",
        )
    matter = procedure.create()
    with pytest.raises(PermissionDenied):
        services.meeting_record(
            actor=neighbour.secretary.user,
            matter=matter,
            held_on=timezone.localdate(),
            present=ids(deliberation_world.branch),
            votes={},
        )
    assert Matter.objects.count() == 1
    assert not Meeting.objects.exists()


# --- audit trail and nothing deleted ---------------------------------------------------------


def test_every_transition_of_a_full_run_is_in_the_audit_chain(
    deliberation_world, procedure, people
):
    matter = procedure.to_vote()
    procedure.vote(matter, people["r1"])
    procedure.resolve(matter, voters=deliberation_world.representatives_body[1:])
    publication = procedure.publish(matter)
    objection = services.objection_file(
        actor=people["x4"].user, publication=publication, text="疑问"
    )
    services.objection_answer(actor=procedure.actor, objection=objection, answer="答复")
    procedure.close_publication(matter)
    procedure.archive(matter)
    assert matter.status == MatterStatus.ARCHIVED
    assert actions(matter) == [
        "deliberation.matter.create",
        "deliberation.meeting.record",
        "deliberation.meeting.record",
        "deliberation.meeting.record",
        "deliberation.vote.open",
        "deliberation.vote.cast",
        "deliberation.vote.hall",
        "deliberation.vote.close",
        "deliberation.publication.resolution",
        "deliberation.objection.file",
        "deliberation.objection.answer",
        "deliberation.publication.close",
        "deliberation.implementation.add",
        "deliberation.publication.result",
        "deliberation.publication.close",
    ]
    events = AuditEvent.objects.filter(chain=audit.chain_key(village=deliberation_world.village))
    assert {e.actor_name for e in events} >= {procedure.actor.username, people["r1"].user.username}
    assert audit.verify_chain(audit.chain_key(village=deliberation_world.village)) is None
    assert audit.verify_all() == []
    out = io.StringIO()
    call_command("verify_audit", stdout=out)
    assert "audit chain intact" in out.getvalue()
    vote_open = events.get(action="deliberation.vote.open")
    assert vote_open.payload["frozen_sha256"] == matter.frozen_hash


def test_revise_withdraw_and_return_are_audited(deliberation_world, procedure):
    matter = procedure.create()
    procedure.record(matter, deliberation_world.branch, present=deliberation_world.branch[:2])
    services.matter_revise(
        actor=procedure.actor, matter=matter, title="t2", body="b2", reason="补充"
    )
    services.matter_withdraw(actor=procedure.actor, matter=matter, reason="撤回")
    assert actions(matter) == [
        "deliberation.matter.create",
        "deliberation.meeting.record",
        "deliberation.matter.return",
        "deliberation.matter.revise",
        "deliberation.matter.withdraw",
    ]
    assert audit.verify_all() == []


def test_a_refused_action_writes_no_audit_event(deliberation_world, procedure, people):
    matter = procedure.to_vote()
    before = AuditEvent.objects.count()
    for attempt in (
        lambda: procedure.vote(matter, people["minor"]),
        lambda: procedure.vote(matter, people["x3"]),
        lambda: services.matter_revise(
            actor=procedure.actor, matter=matter, title="t", body="b", reason="r"
        ),
        lambda: services.matter_withdraw(actor=procedure.actor, matter=matter, reason="r"),
    ):
        with pytest.raises((ValidationError, PermissionDenied)):
            attempt()
    assert AuditEvent.objects.count() == before


def test_nothing_of_the_procedure_can_be_deleted(deliberation_world, procedure):
    matter = procedure.to_vote()
    procedure.resolve(matter)
    assert not [name for name in dir(services) if "delete" in name or "remove" in name]
    meeting = matter.meetings.first()
    with pytest.raises(ProtectedError):
        meeting.delete()
    with pytest.raises(ProtectedError):
        Matter.objects.get(pk=matter.pk).delete()
    assert Matter.objects.filter(pk=matter.pk).exists()
    assert Meeting.objects.filter(matter=matter).count() == 4


def test_a_published_resolution_anchors_the_village_chain_in_the_township_chain(
    deliberation_world, procedure
):
    matter = procedure.to_vote()
    procedure.resolve(matter)
    procedure.publish(matter)
    village_chain = audit.chain_key(village=deliberation_world.village)
    head = AuditHead.objects.get(chain=village_chain)
    anchor = AuditEvent.objects.filter(
        chain=audit.chain_key(township=deliberation_world.village.township), action=audit.ANCHOR
    ).latest("seq")
    assert anchor.payload["chain"] == village_chain
    assert anchor.payload["reason"] == "resolution"
    assert (anchor.payload["seq"], anchor.payload["hash"]) == (head.seq, head.hash)
    assert audit.verify_all() == []
