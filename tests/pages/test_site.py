"""Each village's site lives in its own subtree; its editors edit only that subtree; a grid
officer's notice goes through the village's moderation workflow to the secretary."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from wagtail.models import (
    GroupPagePermission,
    Page,
    Revision,
    TaskState,
    Workflow,
    WorkflowState,
)
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text

from pages import services
from pages.models import (
    MoralModelIndexPage,
    NoticeIndexPage,
    NoticePage,
    PowerListPage,
    RulesPage,
    TransparencyPage,
    VillageHomePage,
)
from village import services as village_services
from village.models import Membership
from village.permissions import SYSTEM

SECTIONS = [NoticeIndexPage, RulesPage, MoralModelIndexPage, TransparencyPage, PowerListPage]


def _edit_url(page):
    return f"/admin/pages/{page.pk}/edit/"


def _add_notice_url(index):
    return f"/admin/pages/add/pages/noticepage/{index.pk}/"


def _notice_form(title, **extra):
    return nested_form_data(
        {
            "title": title,
            "slug": extra.pop("slug", "draft-notice"),
            "category": "affairs",
            "urgency": "normal",
            "audience": "everyone",
            "publish_on": "2025-01-01",
            "expires_on": "",
            "reach_hours": "24",
            "body": rich_text("<p>请各户按时参加。</p>"),
            "comments": inline_formset([]),
            "questions": inline_formset([]),
            **extra,
        }
    )


def _notice_list(client, index):
    html = client.get(index.url).content.decode()
    return html.split('data-testid="notices"')[1].split("</ul>")[0]


def _group_names(user):
    return set(user.groups.values_list("name", flat=True))


# --- setting up a village's site -----------------------------------------------------------


def test_site_setup_creates_the_village_home_and_its_sections(site_world):
    w = site_world
    home = VillageHomePage.objects.get(village=w.village)
    assert home.live and home.slug == w.village.code and home.url == "/dongmaopu/"
    children = [p.specific_class for p in home.get_children().live()]
    assert sorted(c.__name__ for c in children) == sorted(c.__name__ for c in SECTIONS)
    editors = Group.objects.get(name=services.group_name(w.village, services.EDITORS))
    granted = set(
        GroupPagePermission.objects.filter(group=editors).values_list("page_id", flat=True)
    )
    assert granted == {home.pk}
    drafters = Group.objects.get(name=services.group_name(w.village, services.DRAFTERS))
    assert set(
        GroupPagePermission.objects.filter(group=drafters).values_list("page_id", flat=True)
    ) == {w.index.pk}
    assert w.index.get_workflow().name == f"{w.village.name}·通知审核"


def test_site_setup_is_idempotent(site_world):
    w = site_world

    def snapshot():
        return (
            Page.objects.count(),
            Group.objects.count(),
            GroupPagePermission.objects.count(),
            Workflow.objects.count(),
            Revision.objects.count(),
            _group_names(w.people.secretary.user),
        )

    before = snapshot()
    again = services.village_site_setup(actor=SYSTEM, village=w.village)
    assert again.pk == w.home.pk
    assert snapshot() == before


def test_only_a_superuser_may_open_a_site_for_a_village(site_world):
    with pytest.raises(PermissionDenied):
        services.village_site_setup(
            actor=site_world.people.secretary.user, village=site_world.other
        )


def test_site_setup_puts_cadres_into_their_villages_editor_groups(site_world):
    w = site_world
    assert _group_names(w.people.secretary.user) == {
        services.group_name(w.village, services.EDITORS),
        services.group_name(w.village, services.MODERATORS),
    }
    assert _group_names(w.people.officer.user) == {
        services.group_name(w.village, services.DRAFTERS)
    }
    assert _group_names(w.people.other_secretary.user) == {
        services.group_name(w.other, services.EDITORS),
        services.group_name(w.other, services.MODERATORS),
    }
    assert _group_names(w.people.a1.user) == set()


# --- villages apart ------------------------------------------------------------------------


def test_secretary_cannot_edit_another_villages_pages(site_world, client):
    w = site_world
    client.force_login(w.people.secretary.user)
    for page in (w.other_home, w.other_index, w.notices.other):
        response = client.get(_edit_url(page))
        assert response.status_code in (302, 403, 404), page
        if response.status_code == 302:
            assert response["Location"] == "/admin/"

    target = w.notices.other
    revisions = Revision.page_revisions.filter(object_id=str(target.pk)).count()
    response = client.post(
        _edit_url(target), _notice_form("被篡改的通知", slug=target.slug, **{"action-publish": "1"})
    )
    assert response.status_code != 200
    target.refresh_from_db()
    assert target.title == "西河村秋收通知"
    assert Revision.page_revisions.filter(object_id=str(target.pk)).count() == revisions


def test_secretary_cannot_add_or_delete_pages_in_another_village(site_world, client):
    w = site_world
    client.force_login(w.people.secretary.user)
    assert client.get(_add_notice_url(w.other_index)).status_code in (302, 403, 404)
    response = client.post(_add_notice_url(w.other_index), _notice_form("越权通知"))
    assert response.status_code in (302, 403, 404)
    assert not NoticePage.objects.filter(title="越权通知").exists()
    response = client.post(f"/admin/pages/{w.notices.other.pk}/delete/")
    assert response.status_code in (302, 403, 404)
    assert NoticePage.objects.filter(pk=w.notices.other.pk).exists()
    response = client.post(f"/admin/pages/{w.notices.other.pk}/unpublish/")
    assert response.status_code in (302, 403, 404)
    assert NoticePage.objects.get(pk=w.notices.other.pk).live


@pytest.mark.parametrize(
    "path",
    [
        "{n}/history/",
        "{n}/usage/",
        "{n}/view_draft/",
        "{n}/copy/",
        "{n}/move/",
        "{n}/privacy/",
        "{n}/workflow_history/",
        "{n}/edit/preview/",
        "{n}/revisions/{r}/view/",
        "{n}/revisions/compare/earliest...live/",
        "{n}/delete/",
        "{n}/unpublish/",
        "{i}/add_subpage/",
    ],
)
def test_no_admin_view_of_another_villages_page_opens(site_world, client, path):
    w = site_world
    notice = w.notices.other
    url = "/admin/pages/" + path.format(
        n=notice.pk, i=w.other_index.pk, r=notice.get_latest_revision().pk
    )
    client.force_login(w.people.secretary.user)
    response = client.get(url)
    assert response.status_code in (302, 403, 404)
    if response.status_code == 302:
        assert response["Location"] == "/admin/"


def test_admin_page_search_does_not_find_another_villages_pages(site_world, client):
    w = site_world
    client.force_login(w.people.secretary.user)
    # Whole titles: the admin's own page search does not cut Chinese into pieces.
    response = client.get("/admin/pages/search/", {"q": w.notices.other.title})
    assert response.status_code == 200
    assert f"/admin/pages/{w.notices.other.pk}/" not in response.content.decode()
    response = client.get("/admin/pages/search/", {"q": w.notices.area1.title})
    assert f"/admin/pages/{w.notices.area1.pk}/edit/" in response.content.decode()
    client.force_login(w.people.other_secretary.user)  # the same search finds it at home
    response = client.get("/admin/pages/search/", {"q": w.notices.other.title})
    assert f"/admin/pages/{w.notices.other.pk}/edit/" in response.content.decode()


def test_the_notice_form_offers_only_the_villages_own_grids(site_world, client):
    w = site_world
    client.force_login(w.people.secretary.user)
    for url in (_edit_url(w.notices.area1), _add_notice_url(w.index)):
        html = client.get(url).content.decode()
        assert str(w.grids.a1) in html and w.grids.g2.name in html
        assert w.grids.other.name not in html and "西网格" not in html
    client.force_login(w.people.other_secretary.user)
    html = client.get(_add_notice_url(w.other_index)).content.decode()
    assert w.grids.other.name in html and w.grids.a1.name not in html


def test_a_notice_cannot_be_sent_to_another_villages_area(site_world, client):
    w = site_world
    client.force_login(w.people.secretary.user)
    data = _notice_form("发错村的通知", slug="wrong", audience="grids")
    data["grids"] = [str(w.grids.other.pk)]
    response = client.post(_add_notice_url(w.index), data)
    assert response.status_code == 200
    assert "grids" in response.context["form"].errors
    assert not NoticePage.objects.filter(slug="wrong").exists()
    data["grids"] = [str(w.grids.a2.pk)]
    data["slug"] = "right"
    assert client.post(_add_notice_url(w.index), data).status_code == 302
    assert list(NoticePage.objects.get(slug="right").grids.all()) == [w.grids.a2]


def test_secretary_can_edit_own_villages_pages(site_world, client):
    w = site_world
    client.force_login(w.people.secretary.user)
    for page in (w.home, w.index, w.notices.area1):
        assert client.get(_edit_url(page)).status_code == 200
    response = client.post(_add_notice_url(w.index), _notice_form("秋季征兵通知", slug="zhengbing"))
    assert response.status_code == 302
    draft = NoticePage.objects.get(title="秋季征兵通知")
    assert draft.get_parent().pk == w.index.pk
    assert not draft.live


def test_grid_officer_drafts_a_notice_but_cannot_publish_it(site_world, client):
    w = site_world
    officer = w.people.officer.user
    client.force_login(officer)
    assert client.get(_add_notice_url(w.index)).status_code == 200
    response = client.post(
        _add_notice_url(w.index),
        _notice_form("一片区清理垃圾通知", slug="laji", **{"action-publish": "1"}),
    )
    assert response.status_code == 302
    draft = NoticePage.objects.get(slug="laji")
    assert draft.get_parent().pk == w.index.pk
    assert not draft.live  # publishing was not the officer's to do: kept as a draft
    assert draft.title not in _notice_list(client, w.index)
    permissions = draft.permissions_for_user(officer)
    assert permissions.can_edit() and not permissions.can_publish()
    # Only notices: no other section, and nothing in another village.
    assert client.get(f"/admin/pages/add/pages/standardpage/{w.home.pk}/").status_code != 200
    assert client.get(_add_notice_url(w.other_index)).status_code != 200
    assert client.get(_edit_url(w.home)).status_code != 200


def test_a_new_notice_reaches_nobody_until_its_audience_is_chosen(site_world, client):
    w = site_world
    client.force_login(w.people.secretary.user)
    form = client.get(_add_notice_url(w.index)).content.decode()
    select = re.search(r'<select name="audience"[^>]*>(.*?)</select>', form, re.S).group(1)
    first = re.search(r"<option[^>]*>[^<]*</option>", select).group(0)
    assert 'value=""' in first and "请选择" in first and "selected" in first
    data = _notice_form("未选范围的通知", slug="no-audience", **{"action-publish": "1"})
    data["audience"] = ""
    response = client.post(_add_notice_url(w.index), data)
    assert response.status_code == 200  # the form again, with the refusal
    assert not NoticePage.objects.filter(slug="no-audience").exists()
    # An existing notice's editor keeps its stored audience.
    client.post(
        _add_notice_url(w.index), _notice_form("全村通知", slug="all", **{"action-publish": "1"})
    )
    notice = NoticePage.objects.get(slug="all")
    edit = client.get(_edit_url(notice)).content.decode()
    assert re.search(r'<option value="everyone" selected>', edit)


def _officer_draft(w, title="一片区停水通知"):
    officer = w.people.officer.user
    page = NoticePage(title=title, body="<p>明日停水。</p>", live=False)
    w.index.add_child(instance=page)
    page.save_revision(user=officer)
    return page


def test_a_grid_officers_draft_goes_to_the_secretary_and_is_live_once_approved(site_world, client):
    w = site_world
    officer = w.people.officer.user
    page = _officer_draft(w)
    workflow = page.get_workflow()
    assert workflow.name == f"{w.village.name}·通知审核"
    workflow_state = workflow.start(page, officer)
    assert workflow_state.status == WorkflowState.STATUS_IN_PROGRESS
    task_state = page.current_workflow_task_state
    assert task_state.status == TaskState.STATUS_IN_PROGRESS

    # Nobody but the village's moderators may act: not the officer, not the other secretary.
    task = task_state.task.specific
    assert task.get_actions(page, officer) == []
    assert task.get_actions(page, w.people.other_secretary.user) == []
    approve_url = f"/admin/pages/workflow/action/{page.pk}/approve/{task_state.pk}/"
    for user in (officer, w.people.other_secretary.user):
        client.force_login(user)
        client.post(approve_url)
        page.refresh_from_db()
        assert not page.live

    client.force_login(w.people.a1.user)
    assert page.title not in _notice_list(client, w.index)

    client.force_login(w.people.secretary.user)
    response = client.post(approve_url)
    assert response.status_code == 302
    page.refresh_from_db()
    assert page.live
    task_state.refresh_from_db()
    assert task_state.status == TaskState.STATUS_APPROVED
    assert task_state.finished_by == w.people.secretary.user

    client.force_login(w.people.a1.user)
    assert page.title in _notice_list(client, w.index)


def test_a_draft_submitted_in_the_admin_is_approved_by_the_secretary_in_the_admin(
    site_world, client
):
    w = site_world
    client.force_login(w.people.officer.user)
    response = client.post(
        _add_notice_url(w.index),
        _notice_form("一片区疫苗接种通知", slug="yimiao", **{"action-submit": "1"}),
    )
    assert response.status_code == 302
    page = NoticePage.objects.get(slug="yimiao")
    assert not page.live and page.workflow_in_progress
    task_state = page.current_workflow_task_state

    client.force_login(w.people.secretary.user)
    assert page.title in client.get("/admin/").content.decode()  # awaiting the secretary
    response = client.post(f"/admin/pages/workflow/action/{page.pk}/approve/{task_state.pk}/")
    assert response.status_code == 302
    page.refresh_from_db()
    assert page.live and not page.workflow_in_progress


def test_task_state_approve_by_the_secretary_publishes_the_draft(site_world):
    w = site_world
    page = _officer_draft(w, "一片区防汛通知")
    page.get_workflow().start(page, w.people.officer.user)
    task_state = page.current_workflow_task_state
    task_state.task.specific.on_action(task_state, w.people.secretary.user, "approve")
    page.refresh_from_db()
    assert page.live
    assert NoticePage.objects.live().filter(pk=page.pk).exists()


def test_a_rejected_draft_stays_unpublished(site_world):
    w = site_world
    page = _officer_draft(w, "一片区待改通知")
    page.get_workflow().start(page, w.people.officer.user)
    task_state = page.current_workflow_task_state
    task_state.task.specific.on_action(task_state, w.people.secretary.user, "reject")
    page.refresh_from_db()
    assert not page.live
    assert page.current_workflow_state.status == WorkflowState.STATUS_NEEDS_CHANGES


# --- group membership follows roles --------------------------------------------------------


def test_ending_a_membership_removes_the_editor_group(site_world):
    w = site_world
    officer = w.people.officer.user
    drafters = services.group_name(w.village, services.DRAFTERS)
    assert drafters in _group_names(officer)
    membership = Membership.objects.get(villager=w.people.officer, role="grid_officer")
    village_services.membership_end(
        actor=w.people.secretary.user, membership=membership, end=w.today - timedelta(days=1)
    )
    assert drafters not in _group_names(officer)
    assert not NoticePage.objects.first().permissions_for_user(officer).can_edit()


def test_a_new_committee_membership_adds_the_editor_group(site_world):
    w = site_world
    villager = w.people.a2
    village_services.membership_create(
        actor=w.people.secretary.user,
        village=w.village,
        villager=villager,
        role="village_committee",
        start=w.today,
    )
    assert _group_names(villager.user) == {services.group_name(w.village, services.EDITORS)}
    assert w.notices.area1.permissions_for_user(villager.user).can_publish()


def test_sync_user_groups_drops_a_role_that_lapsed_and_keeps_unrelated_groups(site_world):
    w = site_world
    user = w.people.secretary.user
    unrelated = Group.objects.create(name="其他用途")
    user.groups.add(unrelated)
    Membership.objects.filter(villager=w.people.secretary).update(end=w.today - timedelta(days=1))
    services.sync_user_groups(user)
    assert _group_names(user) == {"其他用途"}
