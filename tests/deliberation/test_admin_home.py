"""The admin's home page shows the inspector where the rules were broken."""


def test_inspector_home_lists_villages_with_their_non_compliant_matters(
    client, deliberation_world, procedure, people, inspector, foreign
):
    # Two matters; the second one's two-committee meeting has no minutes: a broken rule.
    procedure.to_vote("村道硬化工程")
    matter = procedure.create()
    procedure.record(matter, deliberation_world.branch)
    procedure.record_without_minutes(matter, deliberation_world.two_committees)
    client.force_login(inspector)
    html = client.get("/admin/").content.decode()
    assert 'data-testid="inspection-panel"' in html
    assert deliberation_world.village.name in html
    assert "1 个不合规" in html
    assert foreign.village.name not in html  # another township's village
    assert "/admin/matters/dashboard/" in html and "/admin/audit/" in html


def test_inspector_home_does_not_call_drafts_compliant(
    client, deliberation_world, procedure, inspector
):
    # Only a draft: nothing has been checked, so nothing may read "全部合规" yet.
    procedure.create()
    client.force_login(inspector)
    panel = client.get("/admin/").content.decode().split('data-testid="inspection-panel"')[1]
    assert "全部合规" not in panel and "尚无已办理的议题" in panel
    procedure.record(procedure.create("村道硬化工程"), deliberation_world.branch)
    panel = client.get("/admin/").content.decode().split('data-testid="inspection-panel"')[1]
    assert "全部合规" in panel


def test_villager_gets_no_inspection_panel(client, deliberation_world, people):
    client.force_login(people["r1"].user)
    response = client.get("/admin/")
    assert 'data-testid="inspection-panel"' not in response.content.decode()


def test_admin_home_queries_do_not_grow_with_matters(
    client, deliberation_world, procedure, inspector, django_assert_max_num_queries
):
    procedure.to_vote("村道硬化工程")
    client.force_login(inspector)
    client.get("/admin/")
    with django_assert_max_num_queries(60) as first:
        client.get("/admin/")
    for title in ("自来水改造", "文化广场建设", "集体林地承包"):
        procedure.to_vote(title)
    with django_assert_max_num_queries(len(first.captured_queries)):
        client.get("/admin/")
