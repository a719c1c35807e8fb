"""Attacks on a welfare list under its resolution: a text that says something besides the
platform's terms, a share added or changed in the database, a published star round rewritten —
refused by the comparison and the database, or found by the inspector's findings."""

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction

from points import selectors, services, terms
from tests.support.points_world import (
    deciding_resolution,
    publish_allocation,
    publish_star_round,
    reload,
)


@pytest.fixture
def draft(points_world, ledger):
    """A year-end allocation of ¥1,000 over the year's scores above 60, capped at ¥300."""
    ledger.open_year()
    ledger.post((points_world.h[1], "HJ01"), (points_world.h[2], "HJ01"))
    return services.allocation_create(
        actor=points_world.secretary,
        village=points_world.village,
        year=points_world.day.year,
        title="2026年度年终积分奖励",
        pool_fen=1_000_00,
        floor=60,
        cap_fen=300_00,
    )


def _guards_off(cursor, sqlite_triggers):
    """What an attacker with the database does first: the guards off (SQLite: dropped; they come
    back with the test's rollback)."""
    if connection.vendor == "sqlite":
        for name in sqlite_triggers:
            cursor.execute(f"DROP TRIGGER {name}")
    else:
        cursor.execute("SET LOCAL session_replication_role = replica")


def test_a_published_list_takes_no_new_share_and_a_published_round_stays(points_world, draft):
    from points.models import StarRating

    published = publish_allocation(points_world, draft)
    household = points_world.h[1]
    with pytest.raises(DatabaseError), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO points_share (allocation_id, household_id, score, weight, eligible,"
                " reason, amount_fen, rank) VALUES (%s, %s, 0, 0, %s, '', 999999, 99)",
                [published.pk, household.pk, True],
            )
    rnd = services.star_round_rate(
        actor=points_world.secretary,
        village=points_world.village,
        year=points_world.day.year,
        thresholds={"1": 90},
    )
    publish_star_round(points_world, rnd)
    rating = StarRating.objects.filter(round=rnd).first()
    for sql, args in [
        ("UPDATE points_starround SET matter_ref = NULL WHERE id = %s", [rnd.pk]),
        ("UPDATE points_starround SET published_at = NULL WHERE id = %s", [rnd.pk]),
        ("UPDATE points_starrating SET stars = 5 WHERE id = %s", [rating.pk]),
        ("DELETE FROM points_starrating WHERE id = %s", [rating.pk]),
    ]:
        with pytest.raises(DatabaseError), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(sql, args)
    # The one change a published rating takes: its revocation, with a reason.
    services.star_rating_revoke(actor=points_world.secretary, rating=rating, reason="违反村规民约")
    assert reload(rating).revoked_at is not None


def test_a_list_changed_behind_the_guards_is_found_by_the_inspector(points_world, draft):
    from points import audit

    published = publish_allocation(points_world, draft)
    assert [f for f in audit.welfare_flags(points_world.village) if f.code == "unresolved"] == []
    share = published.shares.order_by("rank").first()
    with connection.cursor() as cursor:
        _guards_off(cursor, ["points_share_no_update"])
        cursor.execute(
            "UPDATE points_share SET amount_fen = amount_fen + 100 WHERE id = %s", [share.pk]
        )
    [flag] = [f for f in audit.welfare_flags(points_world.village) if f.code == "unresolved"]
    assert not flag.ok and "与决议不再一致" in flag.reason and terms.FINGERPRINT in flag.reason


@pytest.mark.parametrize(
    "text",
    [
        # a look-alike line above the block tells the villagers another amount
        "总额：100.00 元（以此为准）\n\n{block}",
        # the same line again after the block
        "{block}\n\n总额：100.00 元（以此为准）",
        # a line slipped into the block
        "{block}\n附加：村干部户另发200元",
        # a label twice inside the block
        "{block}\n总额：100.00 元",
    ],
    ids=["label-above", "label-below", "extra-line", "label-twice"],
)
def test_a_resolution_saying_something_besides_the_terms_is_refused(points_world, draft, text):
    block = terms.block(terms.ALLOCATION, selectors.allocation_terms(draft))
    matter = deciding_resolution(points_world.village, text.format(block=block))
    with pytest.raises(ValidationError, match="重复或多余的行"):
        services.allocation_publish(
            actor=points_world.secretary, allocation=draft, resolution=matter.pk
        )
    assert reload(draft).published_at is None


def test_full_width_forms_and_invisible_characters_read_as_the_same_terms(points_world, draft):
    """What a villager reads is what is compared: the same block typed with full-width digits
    and a zero-width space in its heading is the same decision."""
    block = terms.block(terms.ALLOCATION, selectors.allocation_terms(draft))
    typed = block.replace("1,000.00", "１,０００.００").replace("福利", "福\u200b利")
    matter = deciding_resolution(points_world.village, f"同意。\n\n{typed}")
    services.allocation_publish(
        actor=points_world.secretary, allocation=draft, resolution=matter.pk
    )
    assert reload(draft).matter_ref == matter.pk
