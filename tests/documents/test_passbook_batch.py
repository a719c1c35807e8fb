"""Every household's passbook of a year, in the background: one sealed document per household,
the households split into parts (one task each) that several workers can take at once, progress
in households, a retried part that issues nothing twice, who may start and see it, and the
secretary's download — a zip of the passbooks, a folder per area."""

import hashlib
import io
import zipfile
from datetime import timedelta
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django_tasks import task_backends
from pypdf import PdfReader

from points import documents as print_
from points import tasks as points_tasks
from village import audit
from village.models import AuditEvent, BatchStatus, Document, DocumentBatch, DocumentKind


@pytest.fixture
def queue_only(settings):
    """A backend that only queues, like the database backend before a worker picks it up."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    task_backends["default"].clear()
    return task_backends["default"]


def text_of(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def head(household) -> str:
    household.refresh_from_db()
    return household.head.name


def passbooks():
    return Document.objects.filter(kind=DocumentKind.POINTS_STATEMENT)


def start(points_world, year):
    return points_tasks.statements_batch_start(
        actor=points_world.secretary, village=points_world.village, year=year
    )


def test_batch_issues_one_sealed_passbook_per_household(points_world, year_of_h1):
    with mock.patch.object(points_tasks, "PART_SIZE", 2):
        batch = start(points_world, year_of_h1)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DONE, batch.error
    assert batch.done == batch.total == 5 and batch.percent == 100
    assert batch.finished_at is not None and batch.document is None
    assert sorted(batch.params["parts"]) == ["0", "1", "2"]  # 5 households in parts of 2
    docs = list(passbooks())
    assert len(docs) == 5
    assert sorted(int(d.subject_id) for d in docs) == sorted(h.pk for h in points_world.h[1:])
    for doc in docs:
        household = next(h for h in points_world.h[1:] if str(h.pk) == doc.subject_id)
        with doc.file.open("rb") as f:
            data = f.read()
        assert hashlib.sha256(data).hexdigest() == doc.sha256 and doc.pages == 1
        text = text_of(data)
        assert points_world.village.name in text and household.number in text
        assert f"/verify/{doc.code}/" in text and str(year_of_h1) in doc.title
        assert doc.issued_by == points_world.secretary
    assert head(points_world.h[1]) in text_of(
        passbooks().get(subject_id=str(points_world.h[1].pk)).file.read()
    )
    # Each is registered in the village's chain, which still verifies.
    issued = AuditEvent.objects.filter(action="village.document.issue")
    assert sorted(e.payload["code"] for e in issued) == sorted(d.code for d in docs)
    assert audit.verify_all() == []


def test_progress_counts_households_and_a_retried_part_issues_nothing_twice(
    points_world, year_of_h1, queue_only
):
    with mock.patch.object(points_tasks, "PART_SIZE", 2):
        batch = start(points_world, year_of_h1)
    parts = [result.args for result in queue_only.results]
    assert [list(args)[:2] for args in parts] == [[batch.pk, 0], [batch.pk, 1], [batch.pk, 2]]
    assert batch.status == BatchStatus.QUEUED and (batch.done, batch.total) == (0, 5)

    assert print_.statements_part_run(*parts[0]) == 2
    batch.refresh_from_db()
    assert batch.status == BatchStatus.RUNNING and batch.done == 2
    assert print_.batch_phase(batch) == "正在整理各户积分：2 / 5 户"
    # The same part again (a retried task): nothing new.
    assert print_.statements_part_run(*parts[0]) == 0
    batch.refresh_from_db()
    assert batch.done == 2 and passbooks().count() == 2

    # A part that fails after its first household: what was issued counts, the batch says so.
    real = print_.batch_passbook
    calls = []

    def second_fails(run, household_id):
        calls.append(household_id)
        if len(calls) == 2:
            raise RuntimeError("打印机卡纸")
        return real(run, household_id)

    with mock.patch.object(print_, "batch_passbook", second_fails), pytest.raises(RuntimeError):
        print_.statements_part_run(*parts[1])
    batch.refresh_from_db()
    assert batch.status == BatchStatus.FAILED and "打印机卡纸" in batch.error
    assert batch.done == 3 and passbooks().count() == 3
    # Retried, it issues only the household it had not reached.
    calls.clear()
    with mock.patch.object(print_, "batch_passbook", second_fails):
        assert print_.statements_part_run(*parts[1]) == 1
    assert calls == [parts[1][2][1]]
    assert print_.statements_part_run(*parts[2]) == 1
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DONE and batch.done == 5 and batch.error == ""
    assert passbooks().count() == 5

    # Even with its record lost, a part run again prints the same content (dated the day the
    # batch was requested) and gets the documents already issued.
    DocumentBatch.objects.filter(pk=batch.pk).update(
        status=BatchStatus.RUNNING, params={"year": year_of_h1, "parts": {}}, done=0
    )
    for args in parts:
        print_.statements_part_run(*args)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DONE and batch.done == 5
    assert passbooks().count() == 5


def test_a_part_prints_nothing_for_a_household_of_another_village(points_world, year, queue_only):
    batch = start(points_world, year)
    foreign = points_world.foreign.household
    assert print_.statements_part_run(batch.pk, 7, [foreign.pk]) == 1
    assert not passbooks().exists()
    batch.refresh_from_db()
    assert batch.params["parts"]["7"] == {str(foreign.pk): None}


def test_batch_failure_is_recorded_and_shown(points_world, year_of_h1, as_user):
    with mock.patch("village.documents.render", side_effect=RuntimeError("字体缺失")):
        batch = start(points_world, year_of_h1)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.FAILED and "字体缺失" in batch.error
    assert batch.done == 0 and not Document.objects.exists()
    html = as_user(points_world.secretary).get(reverse("points_admin_batch", args=[batch.pk]))
    html = html.content.decode()
    assert "字体缺失" in html and 'http-equiv="refresh"' not in html
    assert reverse("points_admin_batch_zip", args=[batch.pk]) not in html


def test_batch_is_refused_without_points_view(points_world, year):
    for user in (points_world.resident, points_world.foreign.secretary, points_world.outsider):
        with pytest.raises(PermissionDenied):
            points_tasks.statements_batch_start(actor=user, village=points_world.village, year=year)
    with pytest.raises(ValidationError):
        points_tasks.statements_batch_start(
            actor=points_world.secretary, village=points_world.village, year=1999
        )
    assert not DocumentBatch.objects.exists()


def test_a_run_in_progress_is_not_started_twice(points_world, year, queue_only):
    first = start(points_world, year)
    again = points_tasks.statements_batch_start(
        actor=points_world.committee, village=points_world.village, year=year
    )
    assert again.pk == first.pk and len(queue_only.results) == 1  # 5 households: one part
    args = list(queue_only.results[0].args)
    assert args == [first.pk, 0, [h.pk for h in sorted(points_world.h[1:], key=household_order)]]
    assert first.status == BatchStatus.QUEUED and first.done == 0


def household_order(household):
    return (household.number, household.pk)


def test_admin_starts_the_batch_and_downloads_a_zip_by_area(points_world, year_of_h1, as_user):
    client = as_user(points_world.secretary)
    for page in (reverse("points_admin_welfare"), reverse("points_admin_ledger")):
        html = client.get(page).content.decode()
        assert reverse("points_admin_batch_start") in html and "打印全村积分存折" in html
    response = client.post(
        reverse("points_admin_batch_start"),
        {
            "village": points_world.village.pk,
            "year": year_of_h1,
            "next": reverse("points_admin_welfare"),
        },
    )
    batch = DocumentBatch.objects.get()
    assert response["Location"] == reverse("points_admin_batch", args=[batch.pk])
    page = client.get(response["Location"]).content.decode()
    assert "<progress" in page and "100%" in page and 'http-equiv="refresh"' not in page
    download = reverse("points_admin_batch_zip", args=[batch.pk])
    assert download in page and "共 5 份" in page
    response = client.get(download)
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert "attachment" in response["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    names = archive.namelist()
    assert len(names) == 5
    assert sum(n.startswith("东片/") for n in names) == 3
    assert sum(n.startswith("西片/") for n in names) == 2
    for doc in passbooks():
        (name,) = [n for n in names if doc.code in n]
        assert hashlib.sha256(archive.read(name)).hexdigest() == doc.sha256
    (h2,) = [n for n in names if points_world.h[2].number in n]
    assert head(points_world.h[2]) in text_of(archive.read(h2))
    # Another village's secretary and a villager get nothing.
    assert as_user(points_world.foreign.secretary).get(download).status_code == 404
    assert as_user(points_world.resident).get(download).status_code in (302, 403)


def test_progress_page_refreshes_while_running(
    points_world, as_user, year, django_assert_num_queries
):
    batch = DocumentBatch.objects.create(
        village=points_world.village,
        kind=DocumentKind.STATEMENTS,
        params={"year": year, "parts": {"0": {"1": 1, "2": 2}}},
        requested_by=points_world.secretary,
        total=5,
        done=2,
        status=BatchStatus.RUNNING,
    )
    client = as_user(points_world.secretary)
    url = reverse("points_admin_batch", args=[batch.pk])
    client.get(url)
    with django_assert_num_queries(10):  # the admin menu; the page itself reads one row
        page = client.get(url).content.decode()
    assert '<meta http-equiv="refresh" content="2">' in page
    assert 'value="2" max="5"' in page and "40%" in page
    assert "正在整理各户积分：2 / 5 户" in page
    assert reverse("points_admin_batch_zip", args=[batch.pk]) not in page
    assert client.get(reverse("points_admin_batch_zip", args=[batch.pk])).status_code == 404
    # Another village's secretary and a villager cannot see it.
    assert as_user(points_world.foreign.secretary).get(url).status_code == 404
    assert as_user(points_world.resident).get(url).status_code in (302, 403)
    # Hours later and still running: the worker stopped; the page says so and stops refreshing,
    # and a new request starts a new run instead of waiting on this one.
    DocumentBatch.objects.filter(pk=batch.pk).update(
        requested_at=batch.requested_at - timedelta(hours=2)
    )
    page = as_user(points_world.secretary).get(url).content.decode()
    assert 'data-testid="batch-stale"' in page and 'http-equiv="refresh"' not in page
    again = start(points_world, year)
    again.refresh_from_db()
    assert again.pk != batch.pk and again.status == BatchStatus.DONE


def test_welfare_page_queries_do_not_grow_with_batches(
    points_world, as_user, year, django_assert_num_queries
):
    client = as_user(points_world.secretary)
    url = reverse("points_admin_welfare")

    def run():
        return DocumentBatch.objects.create(
            village=points_world.village,
            kind=DocumentKind.STATEMENTS,
            params={"year": year},
            requested_by=points_world.secretary,
            total=5,
        )

    run()
    client.get(url)
    with django_assert_num_queries(13) as first:
        client.get(url)
    for _ in range(4):
        run()
    with django_assert_num_queries(len(first.captured_queries)):
        html = client.get(url).content.decode()
    assert html.count('data-testid="batch-row"') == 5


def test_zip_names_stay_plain_whatever_an_area_is_called():
    from points.documents import _zip_safe

    assert _zip_safe("../东片/二组") == "_东片_二组"
    assert _zip_safe("  ..  ") == "_"
    assert _zip_safe("东片") == "东片"
