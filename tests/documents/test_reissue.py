"""A second print of the same document returns the one already issued (same code, one chain
row); a deliberate 重新签发 with a reason issues a new code and /verify/<old>/ says the old one
was replaced, by which code and why; the chain still verifies."""

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.urls import reverse

from deliberation import documents as print_
from deliberation.models import Step
from village import audit
from village.models import AuditEvent, Document
from village.permissions import SYSTEM


def resolved(procedure):
    matter = procedure.to_vote()
    procedure.resolve(matter)
    procedure.publish(matter)
    return matter


def issue_events():
    return AuditEvent.objects.filter(action="village.document.issue")


def test_printing_a_meeting_record_twice_returns_the_same_document(deliberation_world, procedure):
    matter = procedure.create()
    meeting = procedure.record(matter, deliberation_world.branch)
    first = print_.meeting_record(actor=deliberation_world.secretary.user, meeting=meeting)
    events = issue_events().count()
    second = print_.meeting_record(actor=deliberation_world.secretary.user, meeting=meeting)
    third = print_.meeting_record(actor=deliberation_world.secretary.user, meeting=meeting)
    assert second.pk == third.pk == first.pk and second.code == first.code
    assert Document.objects.count() == 1
    assert issue_events().count() == events == 1
    assert first.content_sha256 and len(first.content_sha256) == 64


def test_the_system_issues_as_no_user_named_xitong(deliberation_world, procedure):
    """A document the platform prints for itself (a batch nobody requested, a task) names the
    system as its issuer and stores no user, like the audit chain."""
    matter = procedure.create()
    meeting = procedure.record(matter, deliberation_world.branch)
    document = print_.meeting_record(actor=SYSTEM, meeting=meeting)
    document.refresh_from_db()
    assert document.issued_by is None and document.issued_by_name == "系统"
    assert issue_events().get().actor_id is None


def test_the_audit_trail_downloaded_twice_is_one_document(deliberation_world, procedure, inspector):
    """Its own issue moves the chain's head; the head is printed in the issue block only, so
    the content — and the document — stay the same."""
    matter = resolved(procedure)
    first = print_.audit_trail(actor=inspector, matter=matter)
    again = print_.audit_trail(actor=inspector, matter=matter)
    assert again.code == first.code and Document.objects.count() == 1


def test_new_content_is_a_new_document(deliberation_world, procedure):
    matter = procedure.to_vote()
    procedure.resolve(matter)
    before = print_.resolution(actor=deliberation_world.secretary.user, matter=matter)
    procedure.publish(matter)  # the resolution now says it is published
    after = print_.resolution(actor=deliberation_world.secretary.user, matter=matter)
    assert after.code != before.code
    assert not after.supersedes_id and not after.reissue_reason


def test_reissue_with_a_reason_replaces_the_old_code_on_the_verify_page(
    deliberation_world, procedure, client
):
    matter = resolved(procedure)
    old = print_.resolution(actor=deliberation_world.secretary.user, matter=matter)
    new = print_.resolution(
        actor=deliberation_world.secretary.user, matter=matter, reissue_reason="原件盖章处被污损"
    )
    assert new.code != old.code and new.supersedes_id == old.pk
    assert new.reissue_reason == "原件盖章处被污损"
    # The old row is not touched: the replacement is a new row naming it.
    assert Document.objects.get(pk=old.pk).sha256 == old.sha256
    event = issue_events().get(object_id=str(new.pk))
    assert event.payload["supersedes"] == old.code
    assert event.payload["reason"] == "原件盖章处被污损"
    # Printing again now returns the new document.
    assert (
        print_.resolution(actor=deliberation_world.secretary.user, matter=matter).code == new.code
    )

    page = client.get(reverse("village:verify", args=[old.code]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "此文书已被重新签发，以新文书为准。" in html
    assert new.code in html and "原件盖章处被污损" in html
    assert "已被重新签发取代" in html
    html = client.get(reverse("village:verify", args=[new.code])).content.decode()
    assert f"取代验证码 {old.code} 的文书" in html and "有效" in html
    assert "此文书已被重新签发" not in html
    assert audit.verify_chain(audit.chain_key(village=deliberation_world.village)) is None


@pytest.mark.parametrize("reason", ["", "   "])
def test_reissue_without_a_reason_is_refused(deliberation_world, procedure, reason):
    matter = resolved(procedure)
    print_.resolution(actor=deliberation_world.secretary.user, matter=matter)
    with pytest.raises(ValidationError, match="重新签发须写明原因"):
        print_.resolution(
            actor=deliberation_world.secretary.user, matter=matter, reissue_reason=reason
        )
    assert Document.objects.count() == 1 and issue_events().count() == 1


def test_nothing_to_reissue_before_a_first_print(deliberation_world, procedure):
    matter = resolved(procedure)
    with pytest.raises(ValidationError, match="还没有签发过"):
        print_.resolution(
            actor=deliberation_world.secretary.user, matter=matter, reissue_reason="重印"
        )
    assert not Document.objects.exists()


def test_a_document_is_replaced_at_most_once_even_in_the_database(deliberation_world, procedure):
    matter = resolved(procedure)
    old = print_.resolution(actor=deliberation_world.secretary.user, matter=matter)
    new = print_.resolution(
        actor=deliberation_world.secretary.user, matter=matter, reissue_reason="污损"
    )
    with pytest.raises(DatabaseError), transaction.atomic():
        Document.objects.filter(pk=new.pk).update(reissue_reason="改过的原因")
    with pytest.raises(DatabaseError), transaction.atomic():
        Document.objects.filter(pk=new.pk).delete()
    assert Document.objects.get(pk=new.pk).reissue_reason == "污损"
    assert Document.objects.get(pk=new.pk).supersedes_id == old.pk


def test_the_secretary_prints_twice_then_reissues_from_the_admin(
    deliberation_world, procedure, client
):
    matter = procedure.create()
    meeting = procedure.record(matter, deliberation_world.branch)
    client.force_login(deliberation_world.secretary.user)
    url = reverse("deliberation_admin_print_meeting", args=[matter.pk, meeting.pk])
    codes = {client.post(url)["X-Document-Code"] for _ in range(4)}
    assert len(codes) == 1 and Document.objects.count() == 1
    assert issue_events().count() == 1
    (code,) = codes
    page = client.get(reverse("deliberation_admin_matter", args=[matter.pk])).content.decode()
    assert f"<code>{code}</code>" in page and 'data-testid="reissue-meeting"' in page

    refused = client.post(url, {"reissue": "1", "reason": " "}, follow=True)
    assert "重新签发须写明原因" in refused.content.decode()
    assert Document.objects.count() == 1

    response = client.post(url, {"reissue": "1", "reason": "出席人数抄录有误，重新打印"})
    assert response["Content-Type"] == "application/pdf"
    new = response["X-Document-Code"]
    assert new != code
    assert Document.objects.get(code=new).supersedes.code == code
    html = client.get(reverse("village:verify", args=[code])).content.decode()
    assert new in html and "出席人数抄录有误，重新打印" in html
    assert audit.verify_chain(audit.chain_key(village=deliberation_world.village)) is None
    assert Step(meeting.step) == Step.BRANCH


def test_two_first_prints_racing_give_one_document_on_either_database(
    deliberation_world, procedure, monkeypatch
):
    """The race, made certain: the second print's lookup runs before the first one's row is
    there (as when both start together), so it renders and tries to insert the same content;
    the database's unique constraint refuses it and the print returns the first document."""
    from village import documents

    matter = procedure.create()
    meeting = procedure.record(matter, deliberation_world.branch)
    first = print_.meeting_record(actor=deliberation_world.secretary.user, meeting=meeting)
    real_current, calls = documents.current, []

    def current_missing_the_first_row(**kwargs):
        calls.append(kwargs)
        return None if len(calls) == 1 else real_current(**kwargs)

    monkeypatch.setattr(documents, "current", current_missing_the_first_row)
    second = print_.meeting_record(actor=deliberation_world.secretary.user, meeting=meeting)
    assert len(calls) == 2  # the lookup missed, the insert lost, the winner was read
    assert second.pk == first.pk and second.code == first.code
    assert Document.objects.count() == 1
    assert issue_events().count() == 1
    assert audit.verify_chain(audit.chain_key(village=deliberation_world.village)) is None
