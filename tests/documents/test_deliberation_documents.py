"""The procedure's documents and the notice printout, as people get them: the meeting record and
the audit trail (their Chinese text, the verification address), the audit trail as PDF through
the API, the "打印" buttons of the admin, and a notice printed for the board."""

import json

import pytest
from django.urls import reverse
from django.utils import translation

from deliberation import documents as print_
from deliberation import services
from pages import documents as notice_print
from tests.factories import PASSWORD, deliberation_village
from tests.support.site_world import publish_notice
from village.documents import find
from village.models import AuditEvent, Document, DocumentKind


def resolved(procedure):
    matter = procedure.to_vote()
    procedure.resolve(matter)
    return matter


def stored(doc) -> bytes:
    with doc.file.open("rb") as f:
        return f.read()


def is_pdf(response) -> bool:
    return response["Content-Type"] == "application/pdf" and response.content[:5] == b"%PDF-"


def refused(response) -> bool:
    """404, 403, or Wagtail's redirect of someone without admin access to the login page."""
    if response.status_code in (403, 404):
        return True
    return response.status_code == 302 and "/login" in response["Location"]


# --- the documents -------------------------------------------------------------------------


def test_meeting_record_names_village_matter_attendance_and_verification(
    deliberation_world, procedure, text_of
):
    matter = resolved(procedure)
    meeting = matter.meetings.get(step=1)
    doc = print_.meeting_record(actor=deliberation_world.secretary.user, meeting=meeting)
    text = text_of(stored(doc))
    assert doc.kind == DocumentKind.MEETING_RECORD
    assert deliberation_world.village.name in text
    assert matter.title in text
    assert "会议记录" in text
    assert f"/verify/{doc.code}/" in text
    assert deliberation_world.people["b1"].name in text  # the attendance list
    assert "会议纪要：与会人员逐项讨论" in text


def test_audit_trail_names_village_matter_events_and_verification(
    deliberation_world, procedure, text_of
):
    matter = resolved(procedure)
    doc = print_.audit_trail(actor=deliberation_world.secretary.user, matter=matter)
    text = text_of(stored(doc))
    assert doc.kind == DocumentKind.AUDIT_TRAIL
    assert deliberation_world.village.name in text
    assert matter.title in text
    assert "审计记录" in text and "合规检查" in text
    assert f"/verify/{doc.code}/" in text
    # The events and checks by their Chinese names, never by their codes.
    assert "计票" in text and "冻结文本并开始表决" in text and "记录会议" in text
    assert "deliberation." not in text and "deliberation.vote.close" not in text
    assert "步骤齐全" in text and "法定人数" in text
    assert "step_missing" not in text and "minutes_missing" not in text


def test_the_audit_trail_printed_from_the_english_screens_is_still_chinese(
    deliberation_world, procedure, text_of
):
    matter = resolved(procedure)
    with translation.override("en"):
        doc = print_.audit_trail(actor=deliberation_world.secretary.user, matter=matter)
    text = text_of(stored(doc))
    assert "审计记录" in text and "合规检查" in text
    assert "计票" in text and "步骤齐全" in text and "法定人数" in text
    assert "Vote counted" not in text and "All steps present" not in text and "Quorum" not in text


def test_meeting_record_lists_online_voters_as_present(
    deliberation_world, procedure, people, text_of
):
    matter = procedure.to_vote()
    for label in ("r1", "r2"):
        services.vote_cast(actor=people[label].user, matter=matter, choice="yes")
    hall = deliberation_world.representatives_body[2:9]
    procedure.hall(matter, hall, votes={p.pk: "yes" for p in hall})
    meeting = procedure.close_vote(matter)
    assert (meeting.should_attend, meeting.present) == (12, 9)
    text = text_of(
        stored(print_.meeting_record(actor=deliberation_world.secretary.user, meeting=meeting))
    )
    line = next(line for line in text.splitlines() if people["r1"].name in line)
    assert "未到" not in line and "到" in line
    assert text.count("未到") == meeting.should_attend - meeting.present


def test_meeting_record_prints_approved_absence_as_leave(
    deliberation_world, procedure, people, text_of
):
    matter = procedure.create()
    procedure.record(matter, deliberation_world.branch)
    procedure.record(matter, deliberation_world.two_committees)
    away = people["p5"]
    meeting = procedure.record(
        matter,
        deliberation_world.party_full,
        present=[p for p in deliberation_world.party_full if p not in (away, people["p4"])],
        exemptions={away.pk: "外出务工，书记批准"},
    )
    text = text_of(
        stored(print_.meeting_record(actor=deliberation_world.secretary.user, meeting=meeting))
    )
    leave = next(line for line in text.splitlines() if away.name in line)
    absent = next(line for line in text.splitlines() if people["p4"].name in line)
    assert "请假" in leave and "未到" not in leave
    assert "未到" in absent
    assert text.count("未到") == 1


# --- the audit trail through the API -------------------------------------------------------


class Api:
    def __init__(self, client):
        self.client = client

    def get(self, path, user):
        response = self.client.post(
            "/api/v1/auth/token",
            data=json.dumps({"username": user.username, "password": PASSWORD}),
            content_type="application/json",
        )
        assert response.status_code == 200, response.content
        token = response.json()["token"]
        return self.client.get(f"/api/v1{path}", HTTP_AUTHORIZATION=f"Bearer {token}")


@pytest.fixture
def api(client):
    return Api(client)


def test_inspector_downloads_the_audit_trail_pdf(
    api, deliberation_world, procedure, inspector, text_of
):
    matter = resolved(procedure)
    response = api.get(f"/matters/{matter.pk}/audit.pdf", inspector)
    assert response.status_code == 200, response.content[:300]
    assert is_pdf(response)
    assert response["Content-Disposition"].startswith("attachment;")
    doc = find(response["X-Document-Code"])
    assert doc.kind == DocumentKind.AUDIT_TRAIL and doc.issued_by == inspector
    assert doc.subject_id == str(matter.pk)
    assert response.content == stored(doc)
    text = text_of(response.content)
    assert deliberation_world.village.name in text and matter.title in text
    assert f"/verify/{doc.code}/" in text


def test_the_villages_cadre_downloads_the_audit_trail_pdf(api, deliberation_world, procedure):
    matter = resolved(procedure)
    response = api.get(f"/matters/{matter.pk}/audit.pdf", deliberation_world.people["b1"].user)
    assert response.status_code == 200 and is_pdf(response)


def test_a_villager_gets_403_json_for_the_audit_trail_pdf(api, deliberation_world, procedure):
    matter = resolved(procedure)
    procedure.publish(matter)  # public now: the villager sees the matter, not its audit trail
    response = api.get(f"/matters/{matter.pk}/audit.pdf", deliberation_world.people["x3"].user)
    assert response.status_code == 403
    assert response["Content-Type"].startswith("application/json")
    assert "审计" in response.json()["message"]
    assert not Document.objects.exists()


def test_another_townships_inspector_gets_404_for_the_audit_trail_pdf(
    api, procedure, foreign_inspector
):
    matter = resolved(procedure)
    response = api.get(f"/matters/{matter.pk}/audit.pdf", foreign_inspector)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert not Document.objects.exists()


def test_the_audit_trail_pdf_is_in_the_openapi_schema(client, db):
    schema = client.get("/api/v1/openapi.json").json()
    operation = schema["paths"]["/api/v1/matters/{matter_id}/audit.pdf"]["get"]
    assert "application/pdf" in operation["responses"]["200"]["content"]


# --- the admin's "打印" buttons --------------------------------------------------------------


def test_secretary_prints_resolution_meeting_record_and_trail_from_the_admin(
    deliberation_world, procedure, client, text_of
):
    matter = resolved(procedure)
    client.force_login(deliberation_world.secretary.user)
    page = client.get(reverse("deliberation_admin_matter", args=[matter.pk])).content.decode()
    assert "打印决议" in page and "打印会议记录" in page and "下载审计记录 PDF" in page
    assert page.count('data-testid="print-meeting"') == 4  # every recorded meeting

    response = client.post(reverse("deliberation_admin_print_resolution", args=[matter.pk]))
    assert response.status_code == 200 and is_pdf(response)
    assert response["Content-Disposition"].startswith("inline;")
    doc = find(response["X-Document-Code"])
    assert (
        doc.kind == DocumentKind.RESOLUTION and doc.issued_by == deliberation_world.secretary.user
    )
    assert matter.title in text_of(response.content)

    meeting = matter.meetings.get(step=2)
    response = client.post(
        reverse("deliberation_admin_print_meeting", args=[matter.pk, meeting.pk])
    )
    assert response.status_code == 200 and is_pdf(response)
    assert find(response["X-Document-Code"]).subject_id == str(meeting.pk)

    trail = client.get(reverse("deliberation_admin_trail", args=[matter.pk])).content.decode()
    assert 'data-testid="print-trail"' in trail
    response = client.get(reverse("deliberation_admin_print_trail", args=[matter.pk]))
    assert response.status_code == 200 and is_pdf(response)
    assert response["Content-Disposition"].startswith("attachment;")
    assert Document.objects.count() == 3
    assert AuditEvent.objects.filter(action="village.document.issue").count() == 3


def test_no_resolution_to_print_before_the_tally(deliberation_world, procedure, client):
    matter = procedure.to_vote()
    client.force_login(deliberation_world.secretary.user)
    page = client.get(reverse("deliberation_admin_matter", args=[matter.pk])).content.decode()
    assert "打印决议" not in page
    assert page.count('data-testid="print-meeting"') == 3  # the vote meeting is still open
    response = client.post(
        reverse("deliberation_admin_print_resolution", args=[matter.pk]), follow=True
    )
    assert "该议题还没有表决结果，不能打印决议。" in response.content.decode()
    vote = matter.meetings.get(step=4)
    response = client.post(
        reverse("deliberation_admin_print_meeting", args=[matter.pk, vote.pk]), follow=True
    )
    assert "会议尚未结束" in response.content.decode()
    assert not Document.objects.exists()


def test_the_villages_printing_buttons_are_post_only(deliberation_world, procedure, client):
    matter = resolved(procedure)
    client.force_login(deliberation_world.secretary.user)
    url = reverse("deliberation_admin_print_resolution", args=[matter.pk])
    assert client.get(url).status_code == 405
    assert not Document.objects.exists()


def test_a_villager_cannot_print_from_the_admin(deliberation_world, procedure, client):
    matter = resolved(procedure)
    meeting = matter.meetings.get(step=1)
    client.force_login(deliberation_world.people["x3"].user)
    for url in (
        reverse("deliberation_admin_print_resolution", args=[matter.pk]),
        reverse("deliberation_admin_print_meeting", args=[matter.pk, meeting.pk]),
    ):
        assert refused(client.post(url)), url
    assert refused(client.get(reverse("deliberation_admin_print_trail", args=[matter.pk])))
    assert not Document.objects.exists()


def test_inspector_downloads_the_trail_but_does_not_issue_the_villages_resolution(
    deliberation_world, procedure, client, inspector
):
    matter = resolved(procedure)
    client.force_login(inspector)
    page = client.get(reverse("deliberation_admin_matter", args=[matter.pk])).content.decode()
    assert "打印决议" not in page and "打印会议记录" not in page
    assert "下载审计记录 PDF" in page
    response = client.get(reverse("deliberation_admin_print_trail", args=[matter.pk]))
    assert response.status_code == 200 and is_pdf(response)
    assert client.post(
        reverse("deliberation_admin_print_resolution", args=[matter.pk])
    ).status_code in (302, 403)
    assert Document.objects.filter(kind=DocumentKind.RESOLUTION).count() == 0


def test_the_supervision_committee_downloads_the_trail(deliberation_world, procedure, client):
    matter = resolved(procedure)
    client.force_login(deliberation_world.people["x1"].user)  # x1 sits on the supervision committee
    response = client.get(reverse("deliberation_admin_print_trail", args=[matter.pk]))
    assert response.status_code == 200 and is_pdf(response)


def test_another_villages_cadres_and_inspector_get_404(
    deliberation_world, procedure, client, foreign_inspector
):
    matter = resolved(procedure)
    meeting = matter.meetings.get(step=1)
    neighbour = deliberation_village(
        township=deliberation_world.village.township, name="西河村", households=3
    )
    urls = (
        reverse("deliberation_admin_print_resolution", args=[matter.pk]),
        reverse("deliberation_admin_print_meeting", args=[matter.pk, meeting.pk]),
    )
    trail = reverse("deliberation_admin_print_trail", args=[matter.pk])
    for user in (neighbour.secretary.user, foreign_inspector):
        client.force_login(user)
        for url in urls:
            assert client.post(url).status_code == 404, (user, url)
        assert client.get(trail).status_code == 404, user
    assert not Document.objects.exists()


# --- the notice printed for the board ------------------------------------------------------


def test_notice_printout_has_title_facts_and_body(site_world, text_of):
    w = site_world
    notice = publish_notice(
        w.index,
        "关于春耕期间严禁焚烧秸秆的通知",
        audience="grids",
        grids=[w.grids.a1, w.grids.a2],
        urgency="urgent",
        body=(
            "<h2>一、时间</h2><p>即日起至<b>五月底</b>。</p><ul><li>不得焚烧</li></ul>"
            '<p>详见<a href="https://example.org/x">说明</a>。</p>'
            '<p><img src="https://example.org/tracker.png" alt="x"></p>'
        ),
    )
    doc = notice_print.notice(w.people.secretary.user, notice)
    text = text_of(stored(doc))
    assert doc.kind == DocumentKind.NOTICE and doc.subject_id == str(notice.pk)
    assert "关于春耕期间严禁焚烧秸秆的通知" in text
    assert "东毛铺村" in text
    assert "紧急" in text and "村务" in text
    assert "一片区、二片区" in text
    assert "即日起至五月底" in text and "不得焚烧" in text and "详见说明" in text
    assert f"/verify/{doc.code}/" in text


def test_printable_html_keeps_structure_and_drops_the_rest():
    html = notice_print.printable_html(
        '<p class="x">甲<script>alert(1)</script><img src="http://a/b.png">'
        '<a href="javascript:x">乙</a> &lt;丙&gt;</p><iframe src="http://a"><p>丁</p></iframe>'
    )
    assert html == "<p>甲乙 &lt;丙&gt;</p>"


def test_cadre_prints_a_notice_from_the_admin(site_world, client, text_of):
    w = site_world
    notice = w.notices.everyone
    client.force_login(w.people.secretary.user)
    url = reverse("pages_notice_print", args=[notice.pk])

    # Entry points: the unread report, the page listing's "more" menu, the edit page's header.
    assert url in client.get(f"/admin/notices/{notice.pk}/unread/").content.decode()
    assert url in client.get("/admin/notices/unread/").content.decode()
    assert url in client.get(f"/admin/pages/{w.index.pk}/").content.decode()
    assert url in client.get(f"/admin/pages/{notice.pk}/edit/").content.decode()

    page = client.get(url)
    assert page.status_code == 200 and "春季防火通知" in page.content.decode()
    assert not Document.objects.exists()  # looking is not printing
    response = client.post(url)
    assert response.status_code == 200 and is_pdf(response)
    doc = find(response["X-Document-Code"])
    assert doc.kind == DocumentKind.NOTICE and doc.village == w.village
    assert "春季防火通知" in text_of(response.content)


def test_a_draft_notice_is_not_printed(site_world, client):
    w = site_world
    notice = w.notices.everyone
    notice.unpublish()
    client.force_login(w.people.secretary.user)
    response = client.post(reverse("pages_notice_print", args=[notice.pk]))
    assert response.status_code == 400
    assert "尚未发布或已撤下" in response.content.decode()
    assert not Document.objects.exists()


def test_notice_printing_is_refused_to_others(site_world, client):
    w = site_world
    url = reverse("pages_notice_print", args=[w.notices.everyone.pk])
    # The grid officer reads the unread report but does not issue the village's documents.
    client.force_login(w.people.officer.user)
    assert url not in client.get(f"/admin/notices/{w.notices.area1.pk}/unread/").content.decode()
    assert client.post(url).status_code in (302, 403)
    # Another village's secretary does not see the notice at all.
    client.force_login(w.people.other_secretary.user)
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    # A villager has no admin.
    client.force_login(w.people.a1.user)
    assert refused(client.post(url))
    assert not Document.objects.exists()
