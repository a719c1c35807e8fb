"""村务监督委员会 (村民委员会组织法 Art. 32): countersign or dispute, with a reason, a counted
meeting's tally; an opinion on a matter; a points list and an allocation countersigned or
disputed. Every note is in the chain, on the trail page, in the audit JSON and PDF, and a
disputed tally is a red flag on the township's dashboard. Only the committee writes them — never
an inspector, a cadre or a villager, through any door — and nothing it wrote is changed or
deleted."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from deliberation import compliance, services
from deliberation.models import Step
from tests.support.api_tokens import bearer
from tests.support.documents import pdf_text
from village.models import AuditEvent, Stance, SupervisionNote

REASON = "会场计票时两张选票字迹不清，应当场复核而未复核"


@pytest.fixture
def supervisor(people):
    return people["x1"].user


@pytest.fixture
def resolved(procedure):
    """A matter counted at step 4 by the representatives' meeting."""
    matter = procedure.to_vote()
    procedure.resolve(matter)
    return matter


def vote_meeting(matter):
    return matter.meetings.get(step=Step.RESOLUTION)


def test_the_committee_countersigns_and_disputes_a_tally_and_the_dashboard_flags_it(
    resolved, supervisor, inspector, client
):
    meeting = vote_meeting(resolved)
    services.meeting_supervise(actor=supervisor, meeting=meeting, stance=Stance.COUNTERSIGN)
    flag = [f for f in compliance.check_matter(resolved) if f.code == "supervision"]
    assert [f.ok for f in flag] == [True] and "已会签" in flag[0].reason
    services.meeting_supervise(
        actor=supervisor, meeting=meeting, stance=Stance.DISPUTE, text=REASON
    )
    flag = [f for f in compliance.check_matter(resolved) if f.code == "supervision"]
    assert [f.ok for f in flag] == [False] and REASON in flag[0].reason
    # The inspector's dashboard: the matter is red, with the committee's reason.
    client.force_login(inspector)
    html = client.get(reverse("deliberation_admin_dashboard")).content.decode()
    assert REASON in html
    event = AuditEvent.objects.get(action="village.supervision.dispute")
    assert event.payload == {
        "matter": resolved.pk,
        "step": Step.RESOLUTION,
        "subject": f"deliberation.meeting:{meeting.pk}",
        "stance": "dispute",
        "text": REASON,
    }


def test_notes_are_on_the_trail_the_audit_json_and_the_pdf(resolved, supervisor, inspector, client):
    meeting = vote_meeting(resolved)
    services.meeting_supervise(actor=supervisor, meeting=meeting, stance=Stance.COUNTERSIGN)
    services.matter_opinion(actor=supervisor, matter=resolved, text="同意。建议公开租金明细")
    client.force_login(inspector)
    page = client.get(reverse("deliberation_admin_trail", args=[resolved.pk])).content.decode()
    assert page.count('data-testid="supervision-note"') == 2 and "同意。建议公开租金明细" in page
    headers = bearer(client, inspector.username)
    audit = client.get(f"/api/v1/matters/{resolved.pk}/audit", **headers).json()
    stances = [(n["stance"], n["subject"]) for n in audit["supervision"]]
    assert stances == [
        ("countersign", f"deliberation.meeting:{meeting.pk}"),
        ("opinion", f"deliberation.matter:{resolved.pk}"),
    ]
    assert (
        audit["supervision"][1]["by"] == meeting.matter.village.villagers.get(user=supervisor).name
    )
    pdf = client.get(f"/api/v1/matters/{resolved.pk}/audit.pdf", **headers)
    text = pdf_text(pdf.content)
    assert "村务监督委员会" in text and "建议公开租金明细" in text and "会签确认" in text
    trail_events = [e["action"] for e in audit["events"]]
    assert "village.supervision.countersign" in trail_events
    assert "village.supervision.opinion" in trail_events


def test_the_matter_page_form_writes_them(resolved, supervisor, client):
    meeting = vote_meeting(resolved)
    client.force_login(supervisor)
    page = client.get(reverse("deliberation_admin_matter", args=[resolved.pk])).content.decode()
    assert 'data-testid="supervise"' in page
    url = reverse("deliberation_admin_supervise", args=[resolved.pk])
    client.post(url, {"subject": meeting.pk, "stance": "dispute", "text": REASON})
    client.post(url, {"subject": "matter", "stance": "opinion", "text": "请补充预算明细"})
    # A dispute without a reason, a countersign of the matter itself, a meeting of no matter:
    for bad in [
        {"subject": meeting.pk, "stance": "dispute", "text": ""},
        {"subject": "matter", "stance": "countersign"},
        {"subject": "abc", "stance": "countersign"},
        {"subject": meeting.pk, "stance": "veto"},
    ]:
        client.post(url, bad)
    notes = SupervisionNote.objects.order_by("pk")
    assert [(n.stance, n.text) for n in notes] == [
        ("dispute", REASON),
        ("opinion", "请补充预算明细"),
    ]


def test_nobody_else_writes_them_through_any_door(
    resolved, people, deliberation_world, inspector, client
):
    meeting = vote_meeting(resolved)
    secretary = deliberation_world.secretary.user
    for user in (inspector, secretary, people["r1"].user):
        with pytest.raises(PermissionDenied):
            services.meeting_supervise(actor=user, meeting=meeting, stance=Stance.COUNTERSIGN)
        with pytest.raises(PermissionDenied):
            services.matter_opinion(actor=user, matter=resolved, text="意见")
        client.force_login(user)
        response = client.post(
            reverse("deliberation_admin_supervise", args=[resolved.pk]),
            {"subject": meeting.pk, "stance": "countersign"},
        )
        assert response.status_code in (302, 403, 404)
    assert not SupervisionNote.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="village.supervision").exists()
    # The inspector's page has no form.
    client.force_login(inspector)
    page = client.get(reverse("deliberation_admin_matter", args=[resolved.pk])).content.decode()
    assert 'data-testid="supervise"' not in page


def test_an_open_meeting_cannot_be_countersigned_and_a_countersign_is_given_once(
    procedure, supervisor
):
    matter = procedure.to_vote()
    meeting = vote_meeting(matter)
    with pytest.raises(ValidationError, match="还没有计票"):
        services.meeting_supervise(actor=supervisor, meeting=meeting, stance=Stance.COUNTERSIGN)
    procedure.resolve(matter)
    services.meeting_supervise(actor=supervisor, meeting=meeting, stance=Stance.COUNTERSIGN)
    with pytest.raises(ValidationError, match="已经会签过"):
        services.meeting_supervise(actor=supervisor, meeting=meeting, stance=Stance.COUNTERSIGN)
    with pytest.raises(ValidationError, match="只能会签或提出异议"):
        services.meeting_supervise(
            actor=supervisor, meeting=meeting, stance=Stance.OPINION, text="意见"
        )


def test_what_the_committee_wrote_is_never_changed_or_deleted(resolved, supervisor):
    note = services.meeting_supervise(
        actor=supervisor, meeting=vote_meeting(resolved), stance=Stance.DISPUTE, text=REASON
    )
    with pytest.raises(DatabaseError), transaction.atomic():
        SupervisionNote.objects.filter(pk=note.pk).update(stance="countersign")
    for sql in [
        "UPDATE village_supervisionnote SET text = '' WHERE id = %s",
        "DELETE FROM village_supervisionnote WHERE id = %s",
    ]:
        with pytest.raises(DatabaseError), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(sql, [note.pk])
    assert SupervisionNote.objects.get(pk=note.pk).text == REASON


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.usefixtures("flushable_audit_chain")
def test_a_countersign_pressed_twice_at_once_is_one(resolved, supervisor):
    from tests.support.concurrency import in_threads, outcome_kinds, skip_unless_postgresql

    skip_unless_postgresql()
    meeting = vote_meeting(resolved)

    def countersign():
        return services.meeting_supervise(
            actor=supervisor, meeting=meeting, stance=Stance.COUNTERSIGN
        )

    outcomes = in_threads([countersign] * 6, threads=6)
    assert outcome_kinds(outcomes) == {"ok": 1, "invalid": 5}, outcomes
    assert SupervisionNote.objects.filter(stance="countersign").count() == 1
    assert AuditEvent.objects.filter(action="village.supervision.countersign").count() == 1
