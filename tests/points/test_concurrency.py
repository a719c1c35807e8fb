"""Concurrent writers on PostgreSQL: redemptions never overdraw an account or the stock, the same
idempotency key posts once however many copies arrive together, and postings, redemptions and
reversals racing on the same households leave every balance equal to its entries."""

import io
import json
from collections import Counter
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from wagtail.models import APIToken

from points import selectors as points_selectors
from points import services
from points.models import Account, Entry, EntryKind, EntryStatus, Publication, Redemption
from tests.support.concurrency import in_threads, outcome_kinds, skip_unless_postgresql
from tests.support.points_world import actions, balance, posted_sum, reload
from village import audit

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("flushable_audit_chain"),
]


@pytest.fixture(autouse=True)
def _postgresql_only():
    skip_unless_postgresql()


def ledger_consistent():
    assert points_selectors.balances_differing() == []
    assert all(a.balance >= 0 for a in Account.objects.all())
    out = io.StringIO()
    call_command("check_ledger", stdout=out)
    assert "ledger consistent" in out.getvalue()
    assert audit.verify_all() == []
    return True


# --- redemptions ----------------------------------------------------------------------------------


def test_twenty_redemptions_at_once_against_a_balance_for_five(points_world, ledger):
    ledger.open_year(base=50)
    soap = points_world.items["soap"]

    def redeem(i):
        return lambda: services.redeem(
            actor=points_world.keeper,
            household=points_world.h[1],
            item=soap,
            idempotency_key=f"till-{i}",
        )

    outcomes = in_threads([redeem(i) for i in range(20)], threads=20)

    assert outcome_kinds(outcomes) == {"ok": 5, "invalid": 15}, outcomes
    refused = [value for kind, value in outcomes if kind == "invalid"]
    assert all(exc.code == "insufficient" for exc in refused)
    assert all("积分不足" in exc.messages[0] for exc in refused)
    assert balance(points_world.h[1]) == 0 == posted_sum(points_world.h[1])
    assert reload(soap).stock == 15
    assert Redemption.objects.count() == 5
    assert len({value.receipt for kind, value in outcomes if kind == "ok"}) == 5
    assert actions(points_world.village).count("points.redeem") == 5
    assert ledger_consistent()


def test_twenty_api_redemptions_at_once_give_five_201_and_fifteen_400(points_world, ledger):
    ledger.open_year(base=50)
    _row, token = APIToken.create_token(
        user=points_world.keeper, name=settings.CUNZHI_API_TOKEN_NAME
    )
    body = {"household": points_world.h[1].number, "item": points_world.items["soap"].pk}

    def redeem(i):
        def post():
            response = Client().post(
                "/api/v1/points/redemptions",
                data=json.dumps({**body, "idempotency_key": f"api-{i}"}),
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Bearer {token}",
            )
            return response.status_code, response.json()

        return post

    outcomes = in_threads([redeem(i) for i in range(20)], threads=20)

    assert all(kind == "ok" for kind, _v in outcomes), outcomes
    statuses = Counter(status for _k, (status, _body) in outcomes)
    assert statuses == {201: 5, 400: 15}
    for _k, (status, answer) in outcomes:
        if status == 400:
            assert "积分不足" in answer["message"]
        else:
            assert answer["receipt"] and answer["balance"] in {0, 10, 20, 30, 40}
    assert balance(points_world.h[1]) == 0
    assert reload(points_world.items["soap"]).stock == 15
    assert ledger_consistent()


def test_the_last_two_bags_go_to_two_of_twenty_households_at_once(points_world, ledger):
    ledger.open_year(base=500)
    rice = points_world.items["rice"]  # stock 2
    households = points_world.h[1:]

    def redeem(i):
        return lambda: services.redeem(
            actor=points_world.keeper, household=households[i % len(households)], item=rice
        )

    outcomes = in_threads([redeem(i) for i in range(20)], threads=20)

    assert outcome_kinds(outcomes) == {"ok": 2, "invalid": 18}, outcomes
    assert reload(rice).stock == 0
    assert sum(500 - balance(h) for h in households) == 100
    assert ledger_consistent()


def test_the_same_redemption_key_twenty_times_at_once_redeems_once(points_world, ledger):
    ledger.open_year(base=100)

    def redeem():
        return services.redeem(
            actor=points_world.keeper,
            household=points_world.h[1],
            item=points_world.items["soap"],
            idempotency_key="dup-1",
        )

    outcomes = in_threads([redeem] * 20, threads=20)

    problems = [(k, v) for k, v in outcomes if k != "ok"]
    # a copy that lost the race may be told it was already done; none may debit again
    assert all(k == "invalid" and v.code == "duplicate" for k, v in problems), problems
    assert len({v.pk for k, v in outcomes if k == "ok"}) == 1
    assert Redemption.objects.count() == 1
    assert balance(points_world.h[1]) == 90
    assert reload(points_world.items["soap"]).stock == 19
    assert ledger_consistent()


def test_one_key_for_two_households_at_once_redeems_once_and_undoes_the_other(points_world, ledger):
    """The key's unique index stops the second insert (each household's lock lets both through
    to it): the redemption refused there is undone whole — no stock, no balance, no receipt."""
    ledger.open_year(base=100)

    def redeem(household):
        return lambda: services.redeem(
            actor=points_world.keeper,
            household=household,
            item=points_world.items["soap"],
            idempotency_key="shared-key",
        )

    outcomes = in_threads([redeem(points_world.h[1]), redeem(points_world.h[2])] * 5, threads=10)
    problems = [(k, v) for k, v in outcomes if k != "ok"]
    assert all(k == "invalid" and v.code in ("duplicate", "key_conflict") for k, v in problems)
    assert Redemption.objects.count() == 1
    assert sorted(balance(points_world.h[i]) for i in (1, 2)) == [90, 100]
    assert reload(points_world.items["soap"]).stock == 19
    assert actions(points_world.village).count("points.redeem") == 1
    assert ledger_consistent()


# --- idempotent recording ------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["HJ01", "ZY01"])
def test_the_same_recording_key_twenty_times_at_once_records_once(points_world, ledger, code):
    """ZY01 may be counted twice a year and the household has one already: the copies of the
    request that arrive after the first must get the first entry back, not a refusal."""
    if code == "ZY01":
        ledger.record(points_world.h[1], "ZY01")

    def record():
        return services.entry_record(
            actor=points_world.officer,
            household=points_world.h[1],
            rule=points_world.rules[code],
            occurred_on=points_world.day,
            idempotency_key="sheet-3-row-9",
        )

    outcomes = in_threads([record] * 20, threads=20)

    assert outcome_kinds(outcomes) == {"ok": 20}, [v for k, v in outcomes if k != "ok"]
    assert len({value.pk for _k, value in outcomes}) == 1
    assert Entry.objects.filter(idempotency_key="sheet-3-row-9").count() == 1
    assert Entry.objects.filter(account__household=points_world.h[1], rule__code=code).count() == (
        2 if code == "ZY01" else 1
    )
    records = actions(points_world.village).count("points.entry.record")
    assert records == (2 if code == "ZY01" else 1)
    assert audit.verify_all() == []


def test_the_same_claim_twenty_times_at_once_over_the_api_is_one_entry(points_world):
    _row, token = APIToken.create_token(
        user=points_world.resident, name=settings.CUNZHI_API_TOKEN_NAME
    )

    def claim():
        response = Client().post(
            "/api/v1/points/entries",
            data=json.dumps({"rule": "HJ01", "idempotency_key": "phone-7"}),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )
        return response.status_code, response.json()

    outcomes = in_threads([claim] * 20, threads=20)

    assert all(kind == "ok" for kind, _v in outcomes), outcomes
    assert Counter(status for _k, (status, _b) in outcomes) == {201: 20}
    assert len({body["id"] for _k, (_s, body) in outcomes}) == 1
    assert Entry.objects.count() == 1


# --- everything at once ---------------------------------------------------------------------------


def _due(publication):
    """Bring the end of the objection window into the past (for every thread at once)."""
    Publication.objects.filter(pk=publication.pk).update(
        objection_ends_at=timezone.now() - timedelta(minutes=1)
    )
    return reload(publication)


def test_ten_closes_of_one_publication_at_once_post_once(points_world, ledger):
    _entries, publication = ledger.published(
        (points_world.h[1], "HJ01"), (points_world.h[2], "HJ01")
    )
    publication = _due(publication)

    def close():
        return services.publication_close(actor=points_world.secretary, publication=publication)

    outcomes = in_threads([close] * 10, threads=10)

    assert outcome_kinds(outcomes) == {"ok": 1, "invalid": 9}
    assert all(v.code == "closed" for k, v in outcomes if k == "invalid")
    assert balance(points_world.h[1]) == balance(points_world.h[2]) == 5
    assert actions(points_world.village).count("points.entry.post") == 2
    assert ledger_consistent()


def test_postings_redemptions_and_reversals_racing_on_the_same_households(points_world, ledger):
    ledger.open_year(base=60)
    households = points_world.h[1:4]
    publications = []
    for round_ in range(4):
        codes = ["HJ01", "HJ02", "FL01", "HJ01"]
        _entries, publication = ledger.published(
            *[(h, codes[(round_ + i) % 4]) for i, h in enumerate(households)]
        )
        publications.append(_due(publication))
    # reversals race too: of the base points (likely refused by then) and of earlier postings
    openings = list(Entry.objects.filter(kind=EntryKind.OPENING, account__household__in=households))
    earlier = ledger.post(*[(h, "HJ01") for h in households])
    soap = points_world.items["soap"]

    tasks = [
        *[
            (lambda p=p: services.publication_close(actor=points_world.secretary, publication=p))
            for p in publications
        ],
        *[
            (lambda h=h: services.redeem(actor=points_world.keeper, household=h, item=soap))
            for h in households * 4
        ],
        *[
            (
                lambda e=e: services.entry_reverse(
                    actor=points_world.secretary, entry=e, reason="基础分发错"
                )
            )
            for e in openings + earlier
        ],
        *[(lambda h=h: ledger.record(h, "HJ01")) for h in households * 2],
    ]

    outcomes = in_threads(tasks, threads=10)

    errors = [value for kind, value in outcomes if kind == "error"]
    assert errors == []  # no deadlock, no integrity error, no lost update
    refused = [value for kind, value in outcomes if kind == "invalid"]
    assert all(exc.code == "insufficient" for exc in refused), refused
    assert all(kind == "ok" for kind, _v in outcomes[:4])  # every publication closed
    assert (
        not Entry.objects.filter(publication__in=publications)
        .exclude(status=EntryStatus.POSTED)
        .exists()
    )
    for h in households:
        assert balance(h) == posted_sum(h) >= 0
    assert Redemption.objects.count() == sum(1 for k, _v in outcomes[4:16] if k == "ok")
    reversed_ok = sum(1 for k, _v in outcomes[16:22] if k == "ok")
    assert Entry.objects.filter(kind=EntryKind.REVERSAL).count() == reversed_ok
    assert reload(soap).stock == 20 - Redemption.objects.count()
    assert Entry.objects.filter(status=EntryStatus.RECORDED).count() == 6  # the last 6 tasks
    assert ledger_consistent()
