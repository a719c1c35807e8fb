"""Logging in and out, lock-out, activation codes and the language switch, through the web."""

import pytest
from django.contrib.auth import get_user_model

from tests.factories import PASSWORD, VillagerFactory
from village import services
from village.models import AuditEvent

LOCKED = "登录失败次数过多"
WRONG = "手机号/用户名或密码不正确。"


@pytest.fixture
def villager(township_world):
    """The `resident` of the own village, with a registered phone number."""
    v = township_world["users"]["resident"].villager
    v.phone = "13800000001"
    v.save()
    return v


def _logged_in_as(client):
    user_id = client.session.get("_auth_user_id")
    return get_user_model().objects.get(pk=user_id) if user_id else None


# --- login ----------------------------------------------------------------------------


def test_login_page_asks_for_phone_or_username(db, client):
    response = client.get("/login/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "手机号或用户名" in html and "密码" in html
    assert 'name="username"' in html and 'type="password"' in html


def test_villager_logs_in_with_phone_number_and_sees_the_household(villager, client):
    response = client.post("/login/", {"username": "13800000001", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/me/todo/"  # 我的待办; the household is at /me/
    assert _logged_in_as(client) == villager.user
    html = client.get("/me/").content.decode()
    assert villager.household.number in html
    assert villager.name in html


def test_cadre_logs_in_with_username(township_world, client):
    response = client.post("/login/", {"username": "secretary", "password": PASSWORD})
    assert response.status_code == 302
    assert _logged_in_as(client) == township_world["users"]["secretary"]


def test_login_follows_next_to_the_page_asked_for(township_world, client):
    response = client.get("/me/")
    assert response.status_code == 302 and response["Location"].startswith("/login/?next=")
    response = client.post(
        "/login/?next=/admin/", {"username": "secretary", "password": PASSWORD, "next": "/admin/"}
    )
    assert response["Location"] == "/admin/"


def test_wrong_password_shows_a_clear_chinese_message(villager, client):
    response = client.post("/login/", {"username": "13800000001", "password": "wrong-one"})
    assert response.status_code == 200
    html = response.content.decode()
    assert WRONG in html
    assert 'role="alert"' in html
    assert _logged_in_as(client) is None


def test_unknown_phone_gets_the_same_message_as_a_wrong_password(db, client):
    response = client.post("/login/", {"username": "13999999999", "password": "whatever"})
    assert response.status_code == 200
    assert WRONG in response.content.decode()


def test_an_empty_form_says_what_is_missing(db, client):
    response = client.post("/login/", {"username": "", "password": ""})
    assert response.status_code == 200
    assert response.context["form"].errors["username"]
    assert response.context["form"].errors["password"]


def test_deactivated_account_cannot_log_in(villager, client):
    user = villager.user
    user.is_active = False
    user.save()
    response = client.post("/login/", {"username": "13800000001", "password": PASSWORD})
    assert response.status_code == 200
    assert _logged_in_as(client) is None


# --- lock-out ------------------------------------------------------------------------------


def test_web_login_locks_out_after_five_failures_even_with_the_right_password(villager, client):
    for attempt in range(1, 6):
        response = client.post("/login/", {"username": "13800000001", "password": "bad"})
        if attempt < 5:
            assert response.status_code == 200, attempt
            assert WRONG in response.content.decode()
    response = client.post("/login/", {"username": "13800000001", "password": PASSWORD})
    assert response.status_code == 429
    html = response.content.decode()
    assert LOCKED in html and "30 分钟" in html
    assert 'lang="zh-Hans"' in html  # a readable page, not a bare error
    assert _logged_in_as(client) is None
    # The lock holds for the next attempt too.
    response = client.post("/login/", {"username": "13800000001", "password": PASSWORD})
    assert response.status_code == 429


def test_lock_out_of_one_account_leaves_others_alone(villager, township_world, client):
    for _attempt in range(6):
        client.post("/login/", {"username": "13800000001", "password": "bad"})
    response = client.post("/login/", {"username": "secretary", "password": PASSWORD})
    assert response.status_code == 302
    assert _logged_in_as(client) == township_world["users"]["secretary"]


def test_failures_by_phone_and_by_username_count_against_the_same_account(villager, client):
    for _attempt in range(3):
        client.post("/login/", {"username": "13800000001", "password": "bad"})
    for _attempt in range(2):
        client.post("/login/", {"username": "resident", "password": "bad"})
    for login in ["resident", "13800000001"]:
        response = client.post("/login/", {"username": login, "password": PASSWORD})
        assert response.status_code == 429, login
    assert _logged_in_as(client) is None


def test_success_before_the_limit_resets_the_failure_count(villager, client):
    for _attempt in range(4):
        client.post("/login/", {"username": "13800000001", "password": "bad"})
    response = client.post("/login/", {"username": "13800000001", "password": PASSWORD})
    assert response.status_code == 302
    client.post("/logout/")
    for _attempt in range(4):
        client.post("/login/", {"username": "13800000001", "password": "bad"})
    response = client.post("/login/", {"username": "13800000001", "password": PASSWORD})
    assert response.status_code == 302


def test_api_token_locks_out_after_five_failures_with_json_429(villager, client):
    url = "/api/v1/auth/token"
    for attempt in range(1, 6):
        response = client.post(
            url, {"username": "13800000001", "password": "bad"}, content_type="application/json"
        )
        if attempt < 5:
            assert response.status_code == 401, attempt
    response = client.post(
        url, {"username": "13800000001", "password": PASSWORD}, content_type="application/json"
    )
    assert response.status_code == 429
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert LOCKED in body["message"]
    assert "token" not in body


# --- logout --------------------------------------------------------------------------------


def test_logout_ends_the_session(villager, client):
    client.post("/login/", {"username": "13800000001", "password": PASSWORD})
    assert client.get("/me/").status_code == 200
    html = client.get("/").content.decode()
    assert 'action="/logout/"' in html
    response = client.post("/logout/")
    assert response.status_code == 302 and response["Location"] == "/"
    assert _logged_in_as(client) is None
    response = client.get("/me/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


# --- activation ----------------------------------------------------------------------------


@pytest.fixture
def newcomer(township_world):
    """A registered villager with a phone and no account, and the code on their slip."""
    household = township_world["users"]["resident"].villager.household
    v = VillagerFactory(household=household, name="赵小梅", phone="13800000077")
    _row, code = services.activation_code_issue(
        actor=township_world["users"]["secretary"], villager=v
    )
    return v, code


def _activate(client, phone, code, password="Xinmima-2024", again=None):
    return client.post(
        "/activate/",
        {"phone": phone, "code": code, "password1": password, "password2": again or password},
    )


def test_activation_page_explains_what_to_enter(db, client):
    response = client.get("/activate/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "激活码" in html and "手机号" in html and "设置密码" in html


def test_activation_creates_the_account_logs_in_and_shows_the_household(newcomer, client):
    villager, code = newcomer
    response = _activate(client, "13800000077", code)
    assert response.status_code == 302 and response["Location"] == "/me/"
    villager.refresh_from_db()
    user = villager.user
    assert user is not None and user.username == "13800000077"
    assert _logged_in_as(client) == user
    html = client.get("/me/").content.decode()
    assert "赵小梅" in html and villager.household.number in html
    assert AuditEvent.objects.filter(action="village.activation.use", actor=user).exists()
    # The new password works for the next login by phone.
    client.post("/logout/")
    response = client.post("/login/", {"username": "13800000077", "password": "Xinmima-2024"})
    assert response.status_code == 302


def test_activation_code_typed_in_lower_case_without_dash_works(newcomer, client):
    villager, code = newcomer
    response = _activate(client, "13800000077", code.replace("-", "").lower())
    assert response.status_code == 302
    villager.refresh_from_db()
    assert villager.user is not None


def test_bad_activation_code_gives_400_with_a_message_and_no_account(newcomer, client):
    villager, _code = newcomer
    response = _activate(client, "13800000077", "ABCDE-FGHJK")
    assert response.status_code == 400
    assert "手机号或激活码不正确，或激活码已失效。" in response.content.decode()
    villager.refresh_from_db()
    assert villager.user is None
    assert not get_user_model().objects.filter(username="13800000077").exists()
    assert _logged_in_as(client) is None


def test_activation_code_with_another_phone_number_is_refused(newcomer, client):
    villager, code = newcomer
    response = _activate(client, "13800000078", code)
    assert response.status_code == 400
    assert "手机号或激活码不正确" in response.content.decode()
    villager.refresh_from_db()
    assert villager.user is None


def test_activation_code_works_only_once(newcomer, client):
    _villager, code = newcomer
    assert _activate(client, "13800000077", code).status_code == 302
    client.post("/logout/")
    response = _activate(client, "13800000077", code, password="Andere-Pass-99")
    assert response.status_code == 400
    assert "手机号或激活码不正确" in response.content.decode()


@pytest.mark.parametrize(
    "phone, password, again, message",
    [
        ("1380000", "Xinmima-2024", None, "请输入11位手机号。"),
        ("13800000077", "Xinmima-2024", "Xinmima-2025", "两次输入的密码不一致。"),
        ("13800000077", "12345678", None, "密码"),
    ],
)
def test_activation_form_errors_are_shown_and_create_nothing(
    newcomer, client, phone, password, again, message
):
    villager, code = newcomer
    response = _activate(client, phone, code, password=password, again=again)
    assert response.status_code == 400
    assert message in response.content.decode()
    villager.refresh_from_db()
    assert villager.user is None


# --- language ----------------------------------------------------------------------------


def test_language_switch_to_english_and_back(db, client):
    html = client.get("/").content.decode()
    assert '<html lang="zh-Hans">' in html
    assert 'action="/i18n/setlang/"' in html
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})
    assert response.status_code == 302 and response["Location"] == "/login/"
    for url in ["/", "/login/", "/activate/"]:
        html = client.get(url).content.decode()
        assert '<html lang="en">' in html, url
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert '<html lang="zh-Hans">' in client.get("/").content.decode()


def test_admin_speaks_chinese_to_a_cadre(township_world, client):
    client.force_login(township_world["users"]["secretary"])
    html = client.get("/admin/").content.decode()
    assert 'lang="zh-hans"' in html
    assert "控制面板" in html
