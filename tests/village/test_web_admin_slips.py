"""Activation slips and the audit screen in the Wagtail admin of the village core: the secretary
issues printable activation codes for the own village only, and the audit screen shows the chain
intact to cadres and the inspector but not to a villager."""

import pytest

from tests.support.village_admin import form_data, refused
from village.models import AuditEvent

# --- activation slips ----------------------------------------------------------------------


def test_secretary_issues_an_activation_code_on_a_printable_slip(world, client):
    villager = world["objects"]["own"]["villager"]
    villager.phone = "13600001234"
    villager.save()
    client.force_login(world["users"]["secretary"])
    url = f"/admin/villagers/{villager.pk}/activation/"
    response = client.get(url)
    assert response.status_code == 200
    assert "13600001234" in response.content.decode()
    response = client.post(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="activation-slip"' in html
    # The 打印 button prints through admin-actions.js (no inline handler under the CSP).
    assert "data-cz-print" in html and "village/admin-actions.js" in html
    assert "13600001234" in html and villager.name in html
    code = response.context["code"]
    assert len(code.replace("-", "")) == 10 and code in html
    assert AuditEvent.objects.filter(
        action="village.activation.issue", object_id=str(villager.pk)
    ).exists()
    # The code itself is never stored or written to the chain.
    assert code not in str(list(AuditEvent.objects.values_list("payload", flat=True)))


def test_activation_without_a_phone_number_says_so(world, client):
    villager = world["objects"]["own"]["villager"]
    client.force_login(world["users"]["secretary"])
    response = client.post(f"/admin/villagers/{villager.pk}/activation/")
    html = response.content.decode()
    assert "请先为该村民登记手机号" in html
    assert 'data-testid="activation-slip"' not in html


@pytest.mark.parametrize("role", ["inspector", "grid_officer", "branch_committee"])
def test_only_the_secretary_issues_activation_codes(world, client, role):
    villager = world["objects"]["own"]["villager"]
    villager.phone = "13600001234"
    villager.save()
    client.force_login(world["users"][role])
    response = client.post(f"/admin/villagers/{villager.pk}/activation/")
    assert refused(response)
    assert 'data-testid="activation-slip"' not in response.content.decode()
    assert not villager.activation_codes.exists()


def test_secretary_cannot_issue_a_code_for_another_villages_villager(world, client):
    villager = world["objects"]["neighbour"]["villager"]
    villager.phone = "13600009999"
    villager.save()
    client.force_login(world["users"]["secretary"])
    response = client.post(f"/admin/villagers/{villager.pk}/activation/")
    assert response.status_code == 404
    assert not villager.activation_codes.exists()


# --- audit screen ------------------------------------------------------------------------


def test_audit_screen_shows_the_chain_intact_after_admin_edits(world, client):
    client.force_login(world["users"]["secretary"])
    household = world["objects"]["own"]["household"]
    data = form_data(client.get(f"/admin/household/edit/{household.pk}/").context["form"])
    data["address"] = "审计路1号"
    assert client.post(f"/admin/household/edit/{household.pk}/", data).status_code == 302
    response = client.get("/admin/audit/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "东毛铺村" in html
    assert "完整" in html and "不完整" not in html
    assert "village.household.update" in html
    assert world["neighbour"].name not in html and world["foreign"].name not in html


def test_inspector_audit_screen_lists_both_villages(world, client):
    client.force_login(world["users"]["inspector"])
    html = client.get("/admin/audit/").content.decode()
    assert "东毛铺村" in html and "西河村" in html
    assert "远方村" not in html


def test_audit_screen_is_refused_to_a_villager(world, client):
    client.force_login(world["users"]["resident"])
    response = client.get("/admin/audit/")
    assert response.status_code in (302, 403)
    assert "链头哈希" not in response.content.decode()
