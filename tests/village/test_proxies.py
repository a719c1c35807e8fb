"""亲情账号 (family proxy): the secretary binds a phone to a household until a date; the phone's
owner activates it with a one-time code and then reads that household's notices and points —
no other household's — and the binding ends when the head of household or the secretary says
so, or on its end date. Bindings are never deleted, and every step is in the chain."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from tests.factories import UserFactory
from village import permissions, services
from village.models import AuditEvent, HouseholdProxy

pytestmark = pytest.mark.django_db

PHONE = "13812345678"


def bind(w, household=None, phone=PHONE, **fields):
    fields = {
        "name": "张小梅",
        "relation": "女儿",
        "ends_on": timezone.localdate() + timedelta(days=365),
        **fields,
    }
    return services.proxy_bind(
        actor=w.people.secretary.user, household=household or w.households.h1, phone=phone, **fields
    )


def proxy_user(w, household=None, phone=PHONE, password="Qinqing-2027!"):
    """A bound and activated 亲情账号 of `household` (h1, 张一's, by default)."""
    _proxy, code = bind(w, household, phone)
    return services.account_activate(phone=phone, code=code, password=password)


# --- binding and activation ----------------------------------------------------------------


def test_the_secretary_binds_a_phone_and_its_code_makes_the_account(site_world, client):
    w = site_world
    proxy, code = bind(w)
    assert code and proxy.user is None and proxy.code_hash and code not in proxy.code_hash
    response = client.post(
        "/activate/",
        {"phone": PHONE, "code": code, "password1": "Qinqing-2027!", "password2": "Qinqing-2027!"},
    )
    assert response.status_code == 302 and response.url == "/me/"
    proxy.refresh_from_db()
    assert proxy.user.username == PHONE and proxy.code_hash == ""
    page = client.get("/me/").content.decode()
    assert "A1-01" in page and 'data-testid="proxy-banner"' in page and "张一" in page
    # Members' particulars are not a proxy's to read.
    assert 'data-testid="members"' not in page
    events = list(
        AuditEvent.objects.filter(
            object_id=str(proxy.pk), action__startswith="village.proxy"
        ).order_by("seq")
    )
    assert [e.action for e in events] == ["village.proxy.bind", "village.proxy.activate"]
    assert events[0].payload["household"] == w.households.h1.pk
    assert events[0].payload["phone"] == "138****5678"  # never the whole number in the chain
    # The code works once.
    with pytest.raises(ValidationError):
        services.account_activate(phone=PHONE, code=code, password="Another-2027!")


def test_an_existing_account_is_bound_at_once(site_world):
    w = site_world
    user = UserFactory(username=PHONE)
    proxy, code = bind(w)
    assert code is None and proxy.user == user
    assert permissions.household_of(user) == w.households.h1


@pytest.mark.parametrize(
    ("fields", "field", "text"),
    [
        ({"phone": "1381234567"}, "phone", "11位"),
        ({"name": " "}, "name", "姓名"),
        ({"relation": ""}, "relation", "关系"),
        ({"ends_on": "past"}, "ends_on", "不能早于今天"),
        ({"ends_on": "far"}, "ends_on", "三年"),
    ],
)
def test_bad_input_is_refused_with_its_field_and_writes_nothing(site_world, fields, field, text):
    w = site_world
    today = timezone.localdate()
    days = {"past": -1, "far": 3 * 366 + 1}
    if fields.get("ends_on") in days:
        fields["ends_on"] = today + timedelta(days=days[fields["ends_on"]])
    with pytest.raises(ValidationError) as caught:
        bind(w, **fields)
    assert text in " ".join(caught.value.message_dict[field])
    assert not HouseholdProxy.objects.exists()
    assert not AuditEvent.objects.filter(action="village.proxy.bind").exists()


def test_a_villagers_own_account_and_a_phone_bound_elsewhere_are_refused(site_world):
    w = site_world
    with pytest.raises(ValidationError, match="村民本人的账号"):
        bind(w, phone=w.people.a2.phone)
    bind(w)
    with pytest.raises(ValidationError, match="已是本户的亲情账号"):
        bind(w)
    with pytest.raises(ValidationError, match="另一户"):
        bind(w, household=w.households.h2)
    assert HouseholdProxy.objects.count() == 1


def test_at_most_three_proxies_per_household(site_world):
    w = site_world
    for n in range(3):
        bind(w, phone=f"1381234560{n}")
    with pytest.raises(ValidationError, match="最多"):
        bind(w, phone="13812345609")


@pytest.mark.parametrize("who", ["officer", "a1", "other_secretary"])
def test_only_the_villages_secretary_binds(site_world, who):
    w = site_world
    with pytest.raises(PermissionDenied):
        services.proxy_bind(
            actor=getattr(w.people, who).user,
            household=w.households.h1,
            name="张小梅",
            phone=PHONE,
            relation="女儿",
            ends_on=timezone.localdate() + timedelta(days=30),
        )
    assert not HouseholdProxy.objects.exists()


def test_the_binding_page_in_the_admin(site_world, client):
    w = site_world
    client.force_login(w.people.secretary.user)
    url = f"/admin/households/{w.households.h1.pk}/proxies/"
    assert client.get(url).status_code == 200
    ends = (timezone.localdate() + timedelta(days=200)).isoformat()
    data = {"bind": "1", "name": "张小梅", "phone": PHONE, "relation": "女儿", "ends_on": ends}
    response = client.post(url, data)
    page = response.content.decode()
    assert response.status_code == 200 and 'data-testid="proxy-code"' in page
    bad = client.post(url, {**data, "phone": "12"})
    assert bad.status_code == 400 and "11位" in bad.content.decode()
    assert HouseholdProxy.objects.count() == 1
    # Not the page of another village's household, nor for a grid officer.
    client.force_login(w.people.officer.user)
    assert client.get(url).status_code in (302, 403)
    client.force_login(w.people.other_secretary.user)
    assert client.get(url).status_code in (302, 403, 404)


# --- what a proxy sees ------------------------------------------------------------------------


def test_a_proxy_sees_its_household_and_no_other(site_world, client):
    w = site_world
    user = proxy_user(w)
    assert permissions.can(user, permissions.A.VIEW_HOUSEHOLD, w.households.h1)
    assert not permissions.can(user, permissions.A.VIEW_HOUSEHOLD, w.households.h2)
    assert not permissions.can(user, permissions.A.VIEW_ROSTER, w.village)
    assert not permissions.can(user, permissions.A.ACCESS_ADMIN)
    client.force_login(user)
    # The notices of an area not its household's, another village's: not found.
    assert client.get(w.notices.grid2.url).status_code == 404
    assert client.get(w.notices.area1.url).status_code == 200
    # A notice to party members is for the person, not the household.
    assert client.get(w.notices.party.url).status_code == 404
    assert client.get("/admin/").status_code in (302, 403)


def test_an_ended_or_expired_binding_gives_nothing(site_world, client):
    w = site_world
    user = proxy_user(w)
    proxy = HouseholdProxy.objects.get()
    client.force_login(user)
    assert 'data-testid="proxy-banner"' in client.get("/me/").content.decode()
    services.proxy_end(actor=w.people.a1.user, proxy=proxy)
    assert 'data-testid="proxy-banner"' not in client.get("/me/").content.decode()
    assert permissions.household_of(user) is None
    # Past its end date: nothing either (bound again, then the calendar moves on).
    proxy2, _code = bind(w, phone="13812345670", ends_on=timezone.localdate())
    proxy2.user = UserFactory(username="13812345670")
    proxy2.save()
    assert permissions.household_of(proxy2.user) == w.households.h1
    HouseholdProxy.objects.filter(pk=proxy2.pk).update(
        starts_on=timezone.localdate() - timedelta(days=9),
        ends_on=timezone.localdate() - timedelta(days=1),
    )
    permissions.forget_roles(proxy2.user)
    assert permissions.household_of(proxy2.user) is None


# --- ending -----------------------------------------------------------------------------------


def test_the_head_ends_a_proxy_from_my_household(site_world, client):
    w = site_world
    proxy_user(w)
    proxy = HouseholdProxy.objects.get()
    # Another member sees it but may not end it.
    client.force_login(w.people.a1b.user)
    page = client.get("/me/").content.decode()
    assert "张小梅" in page and 'data-testid="proxy-end"' not in page
    assert client.post(f"/me/proxies/{proxy.pk}/end/").status_code == 403
    # Another household's head: not found.
    client.force_login(w.people.a1c.user)
    assert client.post(f"/me/proxies/{proxy.pk}/end/").status_code == 404
    client.force_login(w.people.a1.user)
    page = client.get("/me/").content.decode()
    assert 'data-testid="proxy-end"' in page
    assert client.post(f"/me/proxies/{proxy.pk}/end/").status_code == 302
    proxy.refresh_from_db()
    assert proxy.ended_at and proxy.ended_by == w.people.a1.user
    event = AuditEvent.objects.get(action="village.proxy.end")
    assert event.payload["by"] == "head"
    with pytest.raises(ValidationError, match="已经结束"):
        services.proxy_end(actor=w.people.secretary.user, proxy=proxy)


# --- never deleted ------------------------------------------------------------------------------


def test_a_binding_cannot_be_deleted_even_with_raw_sql(site_world):
    w = site_world
    proxy, _code = bind(w)
    with pytest.raises(DatabaseError), transaction.atomic():
        HouseholdProxy.objects.filter(pk=proxy.pk).delete()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM village_householdproxy")
    assert HouseholdProxy.objects.filter(pk=proxy.pk).exists()


# --- two secretaries at once ------------------------------------------------------------------


def test_the_database_refuses_one_phone_for_two_households_when_the_check_is_raced(
    site_world, monkeypatch
):
    """The check before the write read the phone free (the other request had not committed):
    the partial unique index still refuses the second binding, on SQLite and PostgreSQL."""
    from village.services import proxies

    w = site_world
    bind(w)
    monkeypatch.setattr(proxies, "_check_phone_free", lambda phone, household, today: None)
    with pytest.raises(ValidationError, match="刚刚被绑定"):
        bind(w, household=w.households.h2)
    assert list(HouseholdProxy.objects.values_list("household", flat=True)) == [w.households.h1.pk]
    assert AuditEvent.objects.filter(action="village.proxy.bind").count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.usefixtures("flushable_audit_chain")
def test_secretaries_binding_one_phone_at_once_bind_it_once_on_postgresql():
    from tests.factories import HouseholdFactory, VillagerFactory, villager_with_role
    from tests.support.concurrency import in_threads, outcome_kinds, skip_unless_postgresql

    skip_unless_postgresql()
    first = HouseholdFactory()
    households = [first] + [
        HouseholdFactory(village=first.village, area=first.area) for _i in range(5)
    ]
    for household in households:
        VillagerFactory(household=household)
    secretary = villager_with_role(first.village, "secretary").user

    def binder(household):
        return lambda: (
            services.proxy_bind(
                actor=secretary,
                household=household,
                name="张小梅",
                phone=PHONE,
                relation="女儿",
                ends_on=timezone.localdate() + timedelta(days=30),
            )[0].pk
        )

    outcomes = in_threads([binder(h) for h in households], threads=6)
    assert outcome_kinds(outcomes) == {"ok": 1, "invalid": 5}, outcomes
    assert HouseholdProxy.objects.count() == 1
    assert AuditEvent.objects.filter(action="village.proxy.bind").count() == 1
