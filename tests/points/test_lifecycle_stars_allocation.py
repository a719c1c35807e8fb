"""The year's end through the services: star households rated by thresholds, published and
revoked; a pool allocated exactly by stars; a whole year leaving an intact audit chain and a
history per entry; and two secretaries rating the same year at once."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from points import selectors as points_selectors
from points import services
from points.models import (
    Account,
    Allocation,
    Entry,
    Share,
    StarRating,
    StarRound,
)
from tests.support.points_lifecycle import chain_ok, count
from tests.support.points_world import (
    actions,
    publish_allocation,
    publish_star_round,
    reload,
)
from village.models import AuditEvent

# --- star households -----------------------------------------------------------------------------


@pytest.fixture
def scored(points_world, ledger):
    """Year scores: h1 120, h2 105, h3 100, h4 97, h5 100 (and h1 spends 50 at the store)."""
    ledger.open_year(base=100)
    entries = [ledger.record(points_world.h[1], "HJ01") for _ in range(4)]
    entries += [
        ledger.record(points_world.h[2], "HJ01"),
        ledger.record(
            points_world.h[4],
            "HJ02",
            actor=points_world.secretary,
            recusal="本人家门口柴草占道，主动登记扣分",
        ),
    ]
    ledger.review(entries)
    ledger.close(ledger.publish())
    services.redeem(
        actor=points_world.keeper, household=points_world.h[1], item=points_world.items["rice"]
    )
    return {
        points_world.h[1]: 120,
        points_world.h[2]: 105,
        points_world.h[3]: 100,
        points_world.h[4]: 97,
        points_world.h[5]: 100,
    }


def test_star_rating_by_thresholds_then_published_and_revoked(points_world, scored):
    year = points_world.day.year
    assert points_selectors.year_scores(points_world.village, year) == {
        h.pk: s for h, s in scored.items()
    }
    rnd = services.star_round_rate(
        actor=points_world.secretary,
        village=points_world.village,
        year=year,
        thresholds={"5": 120, "3": 105, "1": 98},
    )
    stars = {r.household: r.stars for r in rnd.ratings.all()}
    # redemptions spend the balance but do not lower the score
    assert stars == {
        points_world.h[1]: 5,
        points_world.h[2]: 3,
        points_world.h[3]: 1,
        points_world.h[5]: 1,
    }
    assert rnd.published_at is None
    assert count("points.stars.rate", points_world.village) == 1
    assert AuditEvent.objects.get(action="points.stars.rate").payload["rated"] == {
        "5": 1,
        "3": 1,
        "1": 2,
    }

    publish_star_round(points_world, rnd)
    assert reload(rnd).published_at is not None
    with pytest.raises(ValidationError):
        publish_star_round(points_world, rnd)

    rating = StarRating.objects.get(round=rnd, household=points_world.h[1])
    with pytest.raises(ValidationError):
        services.star_rating_revoke(actor=points_world.secretary, rating=rating, reason="")
    services.star_rating_revoke(
        actor=points_world.secretary, rating=rating, reason="违规燃放烟花爆竹"
    )
    rating = reload(rating)
    assert rating.revoked_at is not None and rating.revoked_by == points_world.secretary
    with pytest.raises(ValidationError):
        services.star_rating_revoke(actor=points_world.secretary, rating=rating, reason="再撤一次")
    assert points_selectors.revoked_star_households(points_world.village, year) == {
        points_world.h[1].pk: "星级被撤销：违规燃放烟花爆竹"
    }
    assert count("points.stars.publish", points_world.village) == 1
    assert count("points.stars.revoke", points_world.village) == 1
    assert chain_ok()


def test_star_rating_refuses_bad_thresholds_and_a_second_round(points_world, scored):
    year = points_world.day.year
    for thresholds in [{}, {"6": 100}, {"5": 100, "4": 120}, {"5": "很多"}, {"4": 100, "5": 100}]:
        with pytest.raises(ValidationError):
            services.star_round_rate(
                actor=points_world.secretary,
                village=points_world.village,
                year=year,
                thresholds=thresholds,
            )
    services.star_round_rate(
        actor=points_world.secretary, village=points_world.village, year=year, thresholds={"1": 1}
    )
    with pytest.raises(ValidationError):
        services.star_round_rate(
            actor=points_world.secretary,
            village=points_world.village,
            year=year,
            thresholds={"1": 2},
        )
    assert StarRound.objects.count() == 1
    for who in ("officer", "keeper", "inspector"):
        with pytest.raises(PermissionDenied):
            services.star_round_rate(
                actor=getattr(points_world, who),
                village=points_world.village,
                year=year + 1,
                thresholds={"1": 1},
            )


# --- allocation ----------------------------------------------------------------------------------


def test_allocation_splits_the_pool_exactly(points_world, scored):
    allocation = services.allocation_create(
        actor=points_world.secretary,
        village=points_world.village,
        year=points_world.day.year,
        title="2026年度集体经济分红",
        pool_fen=100_000,
        floor=98,
    )
    shares = {s.household: s for s in allocation.shares.all()}
    assert sum(s.amount_fen for s in shares.values()) == 100_000
    # weights above the floor: h1 22, h2 7, h3 2, h4 0, h5 2 → 33
    assert {h: s.weight for h, s in shares.items()} == {
        points_world.h[1]: 22,
        points_world.h[2]: 7,
        points_world.h[3]: 2,
        points_world.h[4]: 0,
        points_world.h[5]: 2,
    }
    assert shares[points_world.h[4]].amount_fen == 0
    assert shares[points_world.h[1]].amount_fen == 66_667  # 66666.67, the largest remainder
    assert shares[points_world.h[2]].amount_fen == 21_212  # 21212.12
    assert shares[points_world.h[3]].amount_fen + shares[points_world.h[5]].amount_fen == 12_121
    assert {shares[points_world.h[3]].amount_fen, shares[points_world.h[5]].amount_fen} == {
        6060,
        6061,
    }
    assert shares[points_world.h[1]].rank == 1 and shares[points_world.h[4]].rank == 5
    assert shares[points_world.h[1]].yuan == "666.67"
    assert allocation.published_at is None
    assert count("points.allocation.create", points_world.village) == 1
    assert AuditEvent.objects.get(action="points.allocation.create").payload["sum_fen"] == 100_000

    publish_allocation(points_world, allocation)
    assert reload(allocation).published_at is not None
    with pytest.raises(ValidationError):
        publish_allocation(points_world, allocation)
    assert count("points.allocation.publish", points_world.village) == 1
    assert chain_ok()


def test_allocation_with_ineligible_households_and_a_cap(points_world, scored):
    ineligible = {points_world.h[2].pk: "星级被撤销"}
    allocation = services.allocation_create(
        actor=points_world.secretary,
        village=points_world.village,
        year=points_world.day.year,
        title="年终福利",
        pool_fen=10_000,
        floor=90,
        cap_fen=4_000,
        ineligible=ineligible,
    )
    shares = {s.household: s for s in Share.objects.filter(allocation=allocation)}
    assert sum(s.amount_fen for s in shares.values()) == 10_000
    assert shares[points_world.h[2]].amount_fen == 0
    assert (
        shares[points_world.h[2]].eligible is False
        and shares[points_world.h[2]].reason == "星级被撤销"
    )
    assert shares[points_world.h[2]].score == 105  # the score is shown, the weight is 0
    assert shares[points_world.h[2]].weight == 0
    assert all(s.amount_fen <= 4_000 for s in shares.values())
    # h1 (weight 30 of 57) would get 5263 uncapped: it gets the cap, the rest is shared again
    assert shares[points_world.h[1]].amount_fen == 4_000 and shares[points_world.h[1]].rank == 1
    # the other 6000 fen over weights 10, 7, 10: 2222.2, 1555.6, 2222.2 → the last fen to h4
    assert shares[points_world.h[3]].amount_fen == shares[points_world.h[5]].amount_fen == 2_222
    assert shares[points_world.h[4]].amount_fen == 1_556


def test_allocation_refuses_bad_input(points_world, scored):
    def create(**kwargs):
        fields = {
            "actor": points_world.secretary,
            "village": points_world.village,
            "year": points_world.day.year,
            "title": "福利",
            "pool_fen": 10_000,
        }
        fields.update(kwargs)
        return services.allocation_create(**fields)

    for bad in [
        {"title": " "},
        {"pool_fen": 0},
        {"pool_fen": -5},
        {"pool_fen": 12.5},
        {"cap_fen": 0},
        {"cap_fen": 100},  # five households × 100 fen < the pool
        {"floor": 1000},  # nobody above the floor
    ]:
        with pytest.raises(ValidationError):
            create(**bad)
    for who in ("officer", "keeper", "inspector", "resident"):
        with pytest.raises(PermissionDenied):
            create(actor=getattr(points_world, who))
    assert not Allocation.objects.exists()
    assert count("points.allocation.create", points_world.village) == 0


# --- every write is audited -----------------------------------------------------------------------


def test_a_whole_year_leaves_an_intact_chain_and_a_history_per_entry(points_world, ledger, scored):
    [entry] = ledger.post((points_world.h[3], "HJ01"))
    services.entry_reverse(actor=points_world.secretary, entry=entry, reason="登记错户")
    seen = set(actions(points_world.village))
    assert {
        "points.year.open",
        "points.entry.record",
        "points.entry.review",
        "points.publication.create",
        "points.publication.close",
        "points.entry.post",
        "points.redeem",
        "points.entry.reverse",
    } <= seen
    for e in Entry.objects.all():
        assert Entry.history.filter(id=e.pk).exists(), e
    assert points_selectors.balances_differing() == []
    for account in Account.objects.all():
        assert account.balance >= 0
    assert chain_ok()
    # Wagtail's log has the summaries
    from wagtail.models import ModelLogEntry

    assert ModelLogEntry.objects.filter(action="points.publication.close").exists()
    assert ModelLogEntry.objects.filter(action="points.redeem").exists()


def test_two_secretaries_rating_the_same_year_at_once_get_a_clear_refusal(
    points_world, scored, monkeypatch
):
    """The other request commits its round between this one's check and its insert."""
    year = points_world.day.year
    real_scores = points_selectors.year_scores

    def scores_while_another_rates(village, year_):
        StarRound.objects.create(village=village, year=year_, thresholds={"1": 1})
        return real_scores(village, year_)

    monkeypatch.setattr(points_selectors, "year_scores", scores_while_another_rates)
    with pytest.raises(ValidationError) as refused:
        services.star_round_rate(
            actor=points_world.secretary,
            village=points_world.village,
            year=year,
            thresholds={"1": 2},
        )
    assert refused.value.code == "exists"
    assert StarRound.objects.filter(village=points_world.village, year=year).count() == 1
    assert StarRound.objects.get(village=points_world.village, year=year).thresholds == {"1": 1}
    assert not StarRating.objects.filter(round__village=points_world.village).exists()
    assert count("points.stars.rate", points_world.village) == 0
