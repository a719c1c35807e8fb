"""A matter's audit trail PDF from the admin: printed at once when short; past the setting
CUNZHI_AUDIT_PDF_SYNC_EVENTS made in the background (django-tasks; the immediate backend in
tests), the page saying "正在生成…" until a link to the sealed document appears."""

from unittest import mock

import pytest
from django.urls import reverse

from deliberation import tasks
from tests.support.documents import pdf_text
from village.documents import find
from village.models import BatchStatus, DocumentBatch, DocumentKind

pytestmark = pytest.mark.django_db


@pytest.fixture
def matter(procedure, deliberation_world):
    return procedure.to_vote()


def print_url(matter):
    return reverse("deliberation_admin_print_trail", args=[matter.pk])


def test_a_short_trail_is_printed_at_once(client, matter, inspector):
    client.force_login(inspector)
    response = client.get(print_url(matter))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert find(response["X-Document-Code"]).kind == DocumentKind.AUDIT_TRAIL
    assert not DocumentBatch.objects.exists()


def test_a_long_trail_is_made_in_the_background_and_linked_when_done(
    client, matter, inspector, settings, deliberation_world
):
    settings.CUNZHI_AUDIT_PDF_SYNC_EVENTS = 2
    client.force_login(inspector)
    response = client.get(print_url(matter))
    batch = DocumentBatch.objects.get()
    assert batch.kind == DocumentKind.AUDIT_TRAIL and batch.params == {"matter": matter.pk}
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "deliberation_admin_print_trail_batch", args=[matter.pk, batch.pk]
    )
    page = client.get(response["Location"]).content.decode()
    assert 'data-status="done"' in page and 'data-testid="trail-batch-download"' in page
    download = client.get(response["Location"], {"download": "1"})
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"].startswith("attachment;")
    document = find(download["X-Document-Code"])
    # Sealed and registered as when printed at once: issued by the inspector, verifiable.
    assert document.kind == DocumentKind.AUDIT_TRAIL and document.issued_by == inspector
    assert document.subject_id == str(matter.pk)
    text = pdf_text(download.content)
    assert matter.title in text and f"/verify/{document.code}/" in text


def test_the_page_says_it_is_being_made_until_the_worker_is_done(
    client, matter, inspector, settings
):
    settings.CUNZHI_AUDIT_PDF_SYNC_EVENTS = 2
    client.force_login(inspector)
    with mock.patch.object(tasks, "audit_trail_pdf") as queued:  # no worker has run yet
        first = client.get(print_url(matter))
        again = client.get(print_url(matter))
    assert queued.enqueue.call_count == 1  # the run still queued is reused
    assert first["Location"] == again["Location"]
    page = client.get(first["Location"]).content.decode()
    assert "正在生成…" in page and "trail-batch-download" not in page
    assert client.get(first["Location"], {"download": "1"})["Content-Type"] != "application/pdf"
    tasks.audit_trail_pdf.call(DocumentBatch.objects.get().pk)
    assert DocumentBatch.objects.get().status == BatchStatus.DONE
    assert "trail-batch-download" in client.get(first["Location"]).content.decode()


def test_another_villages_inspector_cannot_open_the_run(
    client, matter, inspector, foreign_inspector, settings
):
    settings.CUNZHI_AUDIT_PDF_SYNC_EVENTS = 2
    client.force_login(inspector)
    location = client.get(print_url(matter))["Location"]
    client.force_login(foreign_inspector)
    assert client.get(location).status_code == 404
    assert client.get(location, {"download": "1"}).status_code == 404
