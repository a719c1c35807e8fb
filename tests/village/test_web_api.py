"""The JSON API as a phone app uses it: a bearer token, then `/me`; errors are JSON with a
message and a 4xx status."""

import re
from urllib.parse import urlparse

import pytest
from django.contrib.staticfiles import finders

from tests.factories import PASSWORD, VillagerFactory
from village.models import Villager

MASKED = re.compile(r"^\d{4}\*{10}[\dX]{4}$")
TOKEN_URL = "/api/v1/auth/token"


def _token(client, username, password=PASSWORD):
    response = client.post(
        TOKEN_URL, {"username": username, "password": password}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    return response.json()["token"]


def _me(client, token):
    return client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}")


@pytest.fixture
def family(township_world):
    """The resident's household with three members; the resident has a phone."""
    resident = township_world["users"]["resident"].villager
    resident.phone = "13800000001"
    resident.relation_to_head = "户主"
    resident.save()
    household = resident.household
    household.head = resident
    household.save()
    VillagerFactory(household=household, name="刘桂兰", relation_to_head="配偶", gender="f")
    VillagerFactory(household=household, name="刘小军", relation_to_head="子女")
    return township_world


def _assert_json_error(response, status):
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert isinstance(body["message"], str) and body["message"].strip()
    return body


# --- token -------------------------------------------------------------------------------


@pytest.mark.parametrize("login", ["resident", "13800000001"])
def test_token_for_username_or_phone(family, client, login):
    response = client.post(
        TOKEN_URL, {"username": login, "password": PASSWORD}, content_type="application/json"
    )
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["user"] == "resident"
    assert len(body["token"]) >= 20
    assert _me(client, body["token"]).json()["username"] == "resident"


@pytest.mark.parametrize(
    "login, password", [("resident", "wrong"), ("13800000001", "wrong"), ("nobody", PASSWORD)]
)
def test_wrong_credentials_give_401_json_with_a_message(family, client, login, password):
    response = client.post(
        TOKEN_URL, {"username": login, "password": password}, content_type="application/json"
    )
    body = _assert_json_error(response, 401)
    assert "不正确" in body["message"]
    assert "token" not in body


@pytest.mark.parametrize(
    "body, content_type",
    [
        ('{"username": "resident"}', "application/json"),
        ('{"username": "resident", "password": ', "application/json"),
        ("[]", "application/json"),
        ("username=resident&password=x", "application/x-www-form-urlencoded"),
    ],
)
def test_malformed_token_request_gives_422_json_with_a_message(family, client, body, content_type):
    response = client.post(TOKEN_URL, body, content_type=content_type)
    assert response.status_code in (400, 422)
    _assert_json_error(response, response.status_code)


def test_missing_password_is_named_in_the_message(family, client):
    response = client.post(TOKEN_URL, {"username": "resident"}, content_type="application/json")
    body = _assert_json_error(response, 422)
    assert "password" in body["message"]


def test_token_endpoint_refuses_get(db, client):
    response = client.get(TOKEN_URL)
    assert response.status_code == 405


# --- /me -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [{}, {"HTTP_AUTHORIZATION": "Bearer not-a-real-token"}, {"HTTP_AUTHORIZATION": "Basic eA=="}],
)
def test_me_without_a_valid_token_is_401_json(family, client, headers):
    response = client.get("/api/v1/me", **headers)
    body = _assert_json_error(response, 401)
    assert "username" not in body


def test_a_browser_session_is_not_a_token(family, client):
    client.force_login(family["users"]["resident"])
    _assert_json_error(client.get("/api/v1/me"), 401)


def test_token_of_a_deactivated_account_stops_working(family, client):
    token = _token(client, "resident")
    user = family["users"]["resident"]
    user.is_active = False
    user.save()
    _assert_json_error(_me(client, token), 401)


def test_me_shows_the_villager_their_village_and_household_with_members(family, client):
    token = _token(client, "13800000001")
    response = _me(client, token)
    assert response.status_code == 200
    me = response.json()
    resident = family["users"]["resident"].villager
    assert me["username"] == "resident"
    assert me["name"] == resident.name
    assert me["village"] == {
        "id": family["own"].pk,
        "name": "东毛铺村",
        "township": family["own"].township.name,
    }
    household = me["household"]
    assert household["number"] == resident.household.number
    assert household["head"] == resident.name
    names = sorted(m["name"] for m in household["members"])
    assert names == sorted([resident.name, "刘桂兰", "刘小军"])
    assert me["roles"] == []
    assert [v["name"] for v in me["villages"]] == ["东毛铺村"]


def test_me_masks_id_numbers_for_a_villager(family, client):
    me = _me(client, _token(client, "resident")).json()
    whole = set(Villager.objects.values_list("id_number", flat=True))
    for member in me["household"]["members"]:
        assert MASKED.match(member["id_number"]), member["id_number"]
        assert member["id_number"] not in whole
    assert not any(number in str(me) for number in whole)


def test_me_masks_id_numbers_for_the_secretary_too(family, client):
    # The whole number only on a logged reveal in the roster admin, never on a phone.
    secretary = family["users"]["secretary"].villager
    VillagerFactory(household=secretary.household, name="书记家属")
    me = _me(client, _token(client, "secretary")).json()
    members = {m["name"]: m["id_number"] for m in me["household"]["members"]}
    assert set(members) == {secretary.name, "书记家属"}
    for villager in Villager.objects.filter(household=secretary.household):
        assert members[villager.name] == villager.masked_id_number


def test_me_lists_the_secretarys_role(family, client):
    me = _me(client, _token(client, "secretary")).json()
    assert [r["label"] for r in me["roles"]] == ["党支部书记"]
    role = me["roles"][0]
    assert role["role"] == "secretary" and role["village"] == "东毛铺村"
    assert role["township"] is None and role["end"] is None
    assert [v["name"] for v in me["villages"]] == ["东毛铺村"]


def test_me_lists_the_grid_officers_grid(family, client):
    me = _me(client, _token(client, "grid_officer")).json()
    (role,) = me["roles"]
    assert role["label"] == "网格员"
    assert role["grid"] == str(family["area"])


def test_inspector_sees_both_villages_of_the_township_but_not_the_foreign_one(family, client):
    me = _me(client, _token(client, "inspector")).json()
    assert sorted(v["name"] for v in me["villages"]) == ["东毛铺村", "西河村"]
    assert me["household"] is None and me["village"] is None
    (role,) = me["roles"]
    assert role["label"] == "乡镇巡查"
    assert role["township"] == family["own"].township.name and role["village"] is None


def test_user_without_a_household_gets_an_empty_household(family, client):
    me = _me(client, _token(client, "outsider")).json()
    assert me["household"] is None and me["villages"] == [] and me["roles"] == []


# --- docs, schema, unknown URLs ---------------------------------------------------------------


def test_openapi_schema_lists_the_core_endpoints(db, client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert "/api/v1/auth/token" in schema["paths"]
    assert "post" in schema["paths"]["/api/v1/auth/token"]
    assert "get" in schema["paths"]["/api/v1/me"]
    assert schema["info"]["title"].startswith("村治")


def test_api_docs_load_without_any_outside_host(db, client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "openapi.json" in html
    assert "cdn" not in html.lower()
    for url in re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)""", html):
        host = urlparse(url).netloc
        assert host in ("", "testserver"), url
    assert not re.search(r"https?://(?!testserver)", html)
    # The assets it references ship with the site.
    assets = re.findall(r"""(?:src|href)\s*=\s*["']/static/([^"']+)""", html)
    assert any(a.endswith(".js") for a in assets) and any(a.endswith(".css") for a in assets)
    for asset in assets:
        assert finders.find(asset), asset
    # Swagger UI's online validator would send the schema's address to validator.swagger.io.
    assert '"validatorUrl": null' in html


@pytest.mark.parametrize(
    "method, url",
    [("get", "/api/v1/no-such-thing"), ("get", "/api/v1/me/extra"), ("post", "/api/v1/nothing")],
)
def test_unknown_api_url_is_json_404(db, client, method, url):
    response = getattr(client, method)(url)
    body = _assert_json_error(response, 404)
    assert body["code"] == "not_found"


def test_wrong_method_on_me_is_405(family, client):
    token = _token(client, "resident")
    response = client.post("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 405
