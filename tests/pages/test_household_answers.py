"""户情收集: a notice asks up to ten questions; each household of its audience answers once —
a member, its 亲情账号, or its officer at the door — and the answers are seen by the village's
cadres (all) and the household's officer (their areas), nobody else. Completion by area, the
Excel export, bad input, and answers that cannot be changed without the chain noticing."""

import hashlib
import io
import json
from datetime import timedelta

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from openpyxl import load_workbook
from wagtail.models import APIToken

from pages import selectors
from pages.models import AnswerWay, Audience, HouseholdAnswer, NoticePage, NoticeQuestion
from tests.factories import TownshipMembershipFactory
from village import services as village_services
from village.models import AuditEvent

pytestmark = pytest.mark.django_db

API = "/api/v1"


def _bearer(user):
    _row, token = APIToken.create_token(user=user, name="test")
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


@pytest.fixture
def asked(site_world):
    """A notice to everyone with three questions: a choice, a number, a short text."""
    page = NoticePage(
        title="疫情防控户情登记", audience=Audience.EVERYONE, body="<p>请各户如实回答。</p>"
    )
    page.questions = [
        NoticeQuestion(text="家中是否有外地返乡人员？", kind="choice", options="是\n否"),
        NoticeQuestion(text="返乡人数", kind="number"),
        NoticeQuestion(text="从哪里返乡", kind="text"),
    ]
    site_world.index.add_child(instance=page)
    page.save_revision().publish()
    page.refresh_from_db()
    return page


def _form(notice, yes="是", count="2", where="济南"):
    q = list(notice.questions.all())
    return {f"q{q[0].pk}": yes, f"q{q[1].pk}": count, f"q{q[2].pk}": where}


def _api_answers(notice, **kwargs):
    return {k[1:]: v for k, v in _form(notice, **kwargs).items()}


def test_a_member_answers_once_for_the_household(site_world, asked, client):
    w = site_world
    client.force_login(w.people.a1.user)
    page = client.get(asked.url).content.decode()
    assert 'data-testid="questionnaire"' in page and "家中是否有外地返乡人员？" in page
    response = client.post(f"/site/notices/{asked.pk}/answer/", _form(asked))
    assert response.status_code == 302
    answer = HouseholdAnswer.objects.get()
    assert answer.household == w.households.h1 and answer.way == AnswerWay.MEMBER
    assert [a["value"] for a in answer.answers] == ["是", "2", "济南"]
    event = AuditEvent.objects.get(action="pages.notice.answer")
    # The chain holds the answers' fingerprint, not the answers (inspectors read the chain).
    assert len(event.payload["answers_hmac"]) == 64 and "济南" not in str(event.payload)
    # Keyed: whoever reads the chain cannot try the few possible answers against it.
    guessed = json.dumps(answer.answers, ensure_ascii=False, sort_keys=True)
    assert hashlib.sha256(guessed.encode()).hexdigest() != event.payload["answers_hmac"]
    # Another member of the household: already answered, and a second answer is refused.
    client.force_login(w.people.a1b.user)
    assert 'data-testid="answered"' in client.get(asked.url).content.decode()
    again = client.post(f"/site/notices/{asked.pk}/answer/", _form(asked, yes="否"))
    assert again.status_code == 400 and "每户只答一次" in again.content.decode()
    assert HouseholdAnswer.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "text"),
    [
        ({"yes": ""}, "请回答"),
        ({"yes": "不知道"}, "请从这些选项中选一个"),
        ({"count": "两个"}, "整数"),
        ({"count": "-1"}, "整数"),
        ({"where": "济" * 101}, "不超过 100 字"),
    ],
)
def test_bad_answers_are_refused_with_the_question_and_write_nothing(
    site_world, asked, client, change, text
):
    client.force_login(site_world.people.a1.user)
    response = client.post(f"/site/notices/{asked.pk}/answer/", _form(asked, **change))
    assert response.status_code == 400 and text in response.content.decode()
    api = client.post(
        f"{API}/notices/{asked.pk}/answers",
        {"answers": _api_answers(asked, **change)},
        content_type="application/json",
        **_bearer(site_world.people.a1.user),
    )
    assert api.status_code == 400 and text in api.json()["message"]
    assert not HouseholdAnswer.objects.exists()
    assert not AuditEvent.objects.filter(action="pages.notice.answer").exists()


def test_an_answer_to_a_question_of_another_notice_is_refused(site_world, asked, client):
    answers = {**_api_answers(asked), "999999": "是"}
    response = client.post(
        f"{API}/notices/{asked.pk}/answers",
        {"answers": answers},
        content_type="application/json",
        **_bearer(site_world.people.a1.user),
    )
    assert response.status_code == 400 and "不属于这条通知" in response.json()["message"]


def test_a_proxy_answers_for_its_household(site_world, asked, client):
    w = site_world
    _proxy, code = village_services.proxy_bind(
        actor=w.people.secretary.user,
        household=w.households.h2,
        name="王小二",
        phone="13812345678",
        relation="儿子",
        ends_on=timezone.localdate() + timedelta(days=30),
    )
    user = village_services.account_activate(phone="13812345678", code=code, password="Qq-2027!x")
    client.force_login(user)
    assert "代本户提交" in client.get(asked.url).content.decode()
    assert client.post(f"/site/notices/{asked.pk}/answer/", _form(asked)).status_code == 302
    answer = HouseholdAnswer.objects.get()
    assert answer.household == w.households.h2 and answer.way == AnswerWay.PROXY
    assert answer.proxy.user == user
    assert AuditEvent.objects.get(action="pages.notice.answer").payload["proxy"] == answer.proxy_id


def test_the_officer_answers_at_the_door_for_households_of_their_areas_only(
    site_world, asked, client
):
    w = site_world
    officer = w.people.officer.user
    response = client.post(
        f"{API}/notices/{asked.pk}/answers",
        {"household": w.households.h2.pk, "answers": _api_answers(asked)},
        content_type="application/json",
        **_bearer(officer),
    )
    assert response.status_code == 201 and response.json()["way"] == "at_door"
    outside = client.post(
        f"{API}/notices/{asked.pk}/answers",
        {"household": w.households.h4.pk, "answers": _api_answers(asked)},
        content_type="application/json",
        **_bearer(officer),
    )
    assert outside.status_code == 403 and "负责片区" in outside.json()["message"]
    client.force_login(officer)
    door = f"/site/notices/{asked.pk}/households/{w.households.h1.pk}/answer/"
    assert client.get(door).status_code == 200
    assert client.post(door, _form(asked, yes="否", count="0", where="无")).status_code == 302
    assert (
        client.get(f"/site/notices/{asked.pk}/households/{w.households.h4.pk}/answer/").status_code
        == 404
    )
    ways = dict(HouseholdAnswer.objects.values_list("household", "way"))
    assert ways == {w.households.h2.pk: "at_door", w.households.h1.pk: "at_door"}


def test_completion_by_area_and_who_sees_the_answers(site_world, asked, client):
    w = site_world
    for person in (w.people.a1, w.people.a3):
        client.force_login(person.user)
        client.post(f"/site/notices/{asked.pk}/answer/", _form(asked))
    report = client.get(f"{API}/notices/{asked.pk}/answers", **_bearer(w.people.secretary.user))
    body = report.json()
    assert body["total"] == 8 and body["answered"] == 2
    assert {a["area"]: (a["total"], a["answered"]) for a in body["areas"]} == {
        "第一网格 · 一片区": (3, 1),
        "第一网格 · 二片区": (2, 0),
        "第二网格 · 三片区": (3, 1),
    }
    # The officer of 一片区: only its households.
    officer = client.get(f"{API}/notices/{asked.pk}/answers", **_bearer(w.people.officer.user))
    assert {h["number"] for h in officer.json()["households"]} == {"A1-01", "A1-02", "A1-03"}
    # Not a villager, the inspector, or another village's secretary.
    inspector = TownshipMembershipFactory(township=w.township, role="inspector").user
    for user in (w.people.a1.user, inspector, w.people.other_secretary.user):
        assert client.get(f"{API}/notices/{asked.pk}/answers", **_bearer(user)).status_code == 404
        client.force_login(user)
        assert client.get(f"/admin/notices/{asked.pk}/answers/").status_code in (302, 403, 404)
        assert client.get(f"/admin/notices/{asked.pk}/answers.xlsx").status_code in (302, 403, 404)
    client.force_login(w.people.secretary.user)
    page = client.get(f"/admin/notices/{asked.pk}/answers/").content.decode()
    assert "已回答 2 / 8 户" in page and "是 2 户" in page and "合计 4" in page
    sheet = load_workbook(io.BytesIO(client.get(f"/admin/notices/{asked.pk}/answers.xlsx").content))
    rows = list(sheet.active.iter_rows(values_only=True))
    assert rows[1][5:] == ("家中是否有外地返乡人员？", "返乡人数", "从哪里返乡")
    answered = next(r for r in rows[2:] if r[1] == "A1-01")
    assert answered[3] == "本户填写" and answered[5:] == ("是", "2", "济南")
    assert next(r for r in rows[2:] if r[1] == "A1-02")[3] == "未回答"


def test_at_most_ten_questions_in_the_editor(site_world, asked):
    form_class = NoticePage.get_edit_handler().get_form_class()
    data = {
        "title": asked.title,
        "slug": asked.slug,
        "category": asked.category,
        "urgency": asked.urgency,
        "audience": asked.audience,
        "publish_on": asked.publish_on.isoformat(),
        "reach_hours": "24",
        "body": '{"blocks": [{"key": "a", "text": "x", "type": "unstyled", "depth": 0, '
        '"inlineStyleRanges": [], "entityRanges": []}], "entityMap": {}}',
        "questions-TOTAL_FORMS": "11",
        "questions-INITIAL_FORMS": "0",
        "questions-MIN_NUM_FORMS": "0",
        "questions-MAX_NUM_FORMS": "10",
    }
    for i in range(11):
        data.update({f"questions-{i}-text": f"问题{i}", f"questions-{i}-kind": "text"})
    form = form_class(data, instance=NoticePage(), parent_page=site_world.index)
    assert not form.is_valid()
    assert "questions" in form.formsets and form.formsets["questions"].non_form_errors()


def test_a_stored_answer_cannot_be_changed_and_a_forged_one_no_longer_matches_the_chain(
    site_world, asked, client
):
    client.force_login(site_world.people.a1.user)
    client.post(f"/site/notices/{asked.pk}/answer/", _form(asked))
    answer = HouseholdAnswer.objects.get()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE pages_householdanswer SET answers = '[]'")
    with pytest.raises(DatabaseError), transaction.atomic():
        HouseholdAnswer.objects.filter(pk=answer.pk).delete()
    assert selectors.answers_unmatched(asked) == []
    # An attacker with the database drops the guard and rewrites the answer.
    drop = {
        "sqlite": "DROP TRIGGER pages_householdanswer_no_update",
        "postgresql": "DROP TRIGGER pages_householdanswer_no_change ON pages_householdanswer",
    }[connection.vendor]
    with connection.cursor() as cursor:
        cursor.execute(drop)
    forged = [{**a, "value": "否"} if a["text"].startswith("家中") else a for a in answer.answers]
    HouseholdAnswer.objects.filter(pk=answer.pk).update(answers=forged)
    assert selectors.answers_unmatched(asked) == [site_world.households.h1.pk]
    client.force_login(site_world.people.secretary.user)
    assert "与审计链不符" in client.get(f"/admin/notices/{asked.pk}/answers/").content.decode()


# Pinned query counts, whatever the number of households and answers. The API: the token, the
# notice and its village, then the report (questions, answers, households); the page: the
# session, the user and Wagtail's menu, the same report, and the chain's fingerprints.
QUERIES_ANSWERS_API = 6
QUERIES_ANSWERS_PAGE = 16


def test_the_answers_report_query_counts_do_not_grow_with_the_answers(
    site_world, asked, client, django_assert_num_queries
):
    w = site_world
    bearer = _bearer(w.people.secretary.user)
    client.force_login(w.people.secretary.user)
    url, page = f"{API}/notices/{asked.pk}/answers", f"/admin/notices/{asked.pk}/answers/"
    for people in ([w.people.a1], [w.people.a1c, w.people.a2, w.people.a3, w.people.party]):
        for person in people:
            client.force_login(person.user)
            client.post(f"/site/notices/{asked.pk}/answer/", _form(asked))
        client.force_login(w.people.secretary.user)
        client.get(url, **bearer)  # warm-up
        client.get(page)
        with django_assert_num_queries(QUERIES_ANSWERS_API):
            assert client.get(url, **bearer).status_code == 200
        with django_assert_num_queries(QUERIES_ANSWERS_PAGE):
            assert client.get(page).status_code == 200
    assert HouseholdAnswer.objects.count() == 5


def test_the_secretary_adds_questions_in_the_page_editor(site_world, client):
    from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text

    def form(questions):
        return nested_form_data(
            {
                "title": "防汛户情登记",
                "slug": "flood-questions",
                "category": "affairs",
                "urgency": "important",
                "audience": "everyone",
                "publish_on": timezone.localdate().isoformat(),
                "expires_on": "",
                "reach_hours": "24",
                "body": rich_text("<p>请各户回答。</p>"),
                "comments": inline_formset([]),
                "questions": inline_formset(questions),
                "action-publish": "publish",
            }
        )

    client.force_login(site_world.people.secretary.user)
    url = f"/admin/pages/add/pages/noticepage/{site_world.index.pk}/"
    eleven = [{"text": f"问题{i}", "kind": "text", "options": ""} for i in range(11)]
    assert client.post(url, form(eleven)).status_code == 200  # refused: the form again
    bad_choice = [{"text": "房屋是否漏雨？", "kind": "choice", "options": "是"}]
    assert client.post(url, form(bad_choice)).status_code == 200
    assert not NoticePage.objects.filter(slug="flood-questions").exists()
    two = [
        {"text": "房屋是否漏雨？", "kind": "choice", "options": "是\n否"},
        {"text": "需要帮助的人数", "kind": "number", "options": ""},
    ]
    assert client.post(url, form(two)).status_code == 302
    notice = NoticePage.objects.get(slug="flood-questions")
    assert notice.live and [q.text for q in notice.questions.all()] == [
        "房屋是否漏雨？",
        "需要帮助的人数",
    ]


def test_an_answer_that_looks_like_a_formula_is_exported_as_text(site_world, asked, client):
    client.force_login(site_world.people.a1.user)
    formula = '=HYPERLINK("http://example.com","点我")'
    client.post(f"/site/notices/{asked.pk}/answer/", _form(asked, where=formula))
    client.force_login(site_world.people.secretary.user)
    data = client.get(f"/admin/notices/{asked.pk}/answers.xlsx").content
    sheet = load_workbook(io.BytesIO(data)).active
    cell = next(row[7] for row in sheet.iter_rows() if row[1].value == "A1-01")
    assert cell.value == formula and cell.data_type == "s"


def test_questions_cannot_change_once_a_household_has_answered(site_world, asked, client):
    from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text

    client.force_login(site_world.people.a1.user)
    client.post(f"/site/notices/{asked.pk}/answer/", _form(asked))
    questions = list(asked.questions.all())
    client.force_login(site_world.people.secretary.user)
    data = nested_form_data(
        {
            "title": asked.title,
            "slug": asked.slug,
            "category": asked.category,
            "urgency": asked.urgency,
            "audience": asked.audience,
            "publish_on": asked.publish_on.isoformat(),
            "expires_on": "",
            "reach_hours": "24",
            "body": rich_text("<p>请各户如实回答。</p>"),
            "comments": inline_formset([]),
            "questions": inline_formset(
                [
                    {"id": q.pk, "text": q.text + "（改）", "kind": q.kind, "options": q.options}
                    for q in questions
                ],
                initial=len(questions),
            ),
            "action-publish": "publish",
        }
    )
    response = client.post(f"/admin/pages/{asked.pk}/edit/", data)
    assert response.status_code == 200 and "不能再修改" in response.content.decode()
    assert [q.text for q in NoticePage.objects.get(pk=asked.pk).questions.all()] == [
        q.text for q in questions
    ]
