"""Events about a page (a notice confirmed) are mirrored in Wagtail's page history as Wagtail's
own `log()` writes them — the page, its title, the user, the payload — and a day's receipts in
one INSERT, not one per receipt."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.log_actions import LogContext, log
from wagtail.models import PageLogEntry

from pages import services as pages_services
from village import audit

FIELDS = (
    "content_type_id",
    "label",
    "action",
    "data",
    "user_id",
    "page_id",
    "content_changed",
    "uuid",
)


def _fields(entry):
    return tuple(getattr(entry, name) for name in FIELDS)


def test_a_receipt_is_in_the_page_history_as_wagtail_logs_it(site_world):
    w = site_world
    reader = w.people.a1
    notice = w.notices.everyone
    with LogContext(user=reader.user):  # one user action: both entries share its uuid
        pages_services.notice_mark_read(actor=reader.user, notice=notice)
        mirrored = PageLogEntry.objects.get(action="pages.notice.read")
        data = {"villager": reader.pk, "household": reader.household_id}
        wagtails = log(instance=notice, action="pages.notice.read", user=reader.user, data=data)
    assert mirrored.page_id == notice.pk and mirrored.user_id == reader.user.pk
    assert mirrored.data == data and mirrored.uuid is not None
    assert _fields(mirrored) == _fields(wagtails)
    assert mirrored.label == notice.get_admin_display_title()
    assert notice.pk in PageLogEntry.objects.for_instance(notice).values_list("page", flat=True)


def test_many_receipts_are_mirrored_in_one_insert(site_world):
    w = site_world
    people = [w.people.a1, w.people.a1b, w.people.a2]
    events = [
        audit.Event("pages.notice.read", w.notices.everyone, {"villager": p.pk}) for p in people
    ]
    with CaptureQueriesContext(connection) as queries:
        audit.record_many(actor=None, village=w.village, events=events)
    inserts = [q["sql"] for q in queries if 'INSERT INTO "wagtailcore_pagelogentry"' in q["sql"]]
    assert len(inserts) == 1
    entries = PageLogEntry.objects.filter(action="pages.notice.read").order_by("id")
    assert [e.data["villager"] for e in entries] == [p.pk for p in people]
    assert {e.page_id for e in entries} == {w.notices.everyone.pk}
