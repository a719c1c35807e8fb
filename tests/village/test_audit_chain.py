"""The audit chain: hashes and links, `verify_audit` on an intact chain, and tampering it must
detect and name. Tampering goes through raw SQL with the triggers switched off, as an attacker with
database access would do; `verify_audit` must then fail and name the bad row."""

import itertools

import pytest

from tests.factories import AreaFactory
from tests.support.village_audit import (
    TABLE,
    expected_hash,
    insert_copy,
    sql,
    triggers_off,
    verify,
    verify_fails,
)
from village import audit, services
from village.models import AuditEvent, AuditHead
from village.permissions import SYSTEM

pytestmark = pytest.mark.usefixtures("_chinese")


# --- the chain itself ------------------------------------------------------------


def test_each_row_links_to_the_previous_rows_hash(chain):
    assert chain[0].prev_hash == audit.GENESIS
    for before, row in itertools.pairwise(chain):
        assert row.prev_hash == before.hash


def test_each_hash_is_sha256_over_the_canonical_row(chain):
    for row in chain:
        assert row.hash == expected_hash(row)
        assert len(row.hash) == 64
    # any change of content gives another hash
    assert expected_hash(chain[2], object_repr="A-999") != chain[2].hash
    assert expected_hash(chain[2], payload={**chain[2].payload, "address": "x"}) != chain[2].hash


def test_canonical_form_does_not_depend_on_key_order(chain):
    row = chain[0]
    shuffled = dict(reversed(list(row.payload.items())))
    assert expected_hash(row, payload=shuffled) == row.hash


def test_head_records_the_last_row(chain):
    head = AuditHead.objects.get(chain=chain[0].chain)
    assert (head.seq, head.hash) == (5, chain[-1].hash)
    assert audit.head_of(chain[0].village) == head


def test_event_names_actor_action_and_object(chain, shared_township):
    row = chain[0]
    assert row.actor == shared_township["users"]["secretary"]
    assert row.actor_name == "secretary"
    assert row.action == "village.household.create"
    assert row.object_type == "village.household"
    assert row.object_repr == "A-001"
    assert row.village == shared_township["own"]
    assert row.township == shared_township["own"].township


def test_system_events_are_recorded_as_system(shared_township):
    row = audit.record(actor=SYSTEM, action="village.grid.update", obj=shared_township["area"])
    assert row.actor is None and row.actor_name == "system"


def test_verify_audit_passes_an_intact_chain(chain):
    out, err = verify()
    assert "audit chain intact" in out
    assert err == ""
    assert audit.verify_all() == []


def test_verify_audit_passes_an_empty_database(db):
    out, _err = verify()
    assert "intact (0 chains)" in out


# --- tampering ---------------------------------------------------------------------


def test_edited_row_is_detected_and_named(chain):
    bad = chain[2]
    with triggers_off():
        assert sql(f"UPDATE {TABLE} SET object_repr = %s WHERE id = %s", ["A-666", bad.pk]) == 1
    stderr = verify_fails()
    assert f"chain {bad.chain}: row id={bad.pk} seq=3" in stderr
    assert "edited" in stderr


def test_edited_payload_is_detected(chain):
    bad = chain[1]
    with triggers_off():
        sql(
            f"UPDATE {TABLE} SET payload = %s WHERE id = %s",
            ['{"number": "A-002", "address": "西街1号", "area": 1, "status": "active"}', bad.pk],
        )
    stderr = verify_fails()
    assert f"row id={bad.pk} seq=2" in stderr


def test_edited_row_with_a_recomputed_hash_breaks_the_next_link(chain):
    bad = chain[2]
    forged = expected_hash(bad, object_repr="A-666")
    with triggers_off():
        sql(
            f"UPDATE {TABLE} SET object_repr = %s, hash = %s WHERE id = %s",
            ["A-666", forged, bad.pk],
        )
    stderr = verify_fails()
    assert f"row id={chain[3].pk} seq=4" in stderr
    assert "link broken" in stderr


def test_deleted_row_in_the_middle_is_detected_and_named(chain):
    with triggers_off():
        assert sql(f"DELETE FROM {TABLE} WHERE id = %s", [chain[2].pk]) == 1
    stderr = verify_fails()
    assert f"chain {chain[0].chain}: seq=3: row seq 3 is missing (deleted)" in stderr


def test_deleted_first_row_is_detected(chain):
    with triggers_off():
        sql(f"DELETE FROM {TABLE} WHERE id = %s", [chain[0].pk])
    assert "row seq 1 is missing" in verify_fails()


def test_deleted_last_row_is_caught_by_the_head(chain):
    with triggers_off():
        assert sql(f"DELETE FROM {TABLE} WHERE id = %s", [chain[-1].pk]) == 1
    stderr = verify_fails()
    assert f"chain {chain[0].chain}: seq=5" in stderr
    assert "trailing rows deleted" in stderr


def test_deleted_whole_chain_is_caught_by_the_head(chain):
    with triggers_off():
        assert sql(f"DELETE FROM {TABLE} WHERE chain = %s", [chain[0].chain]) == 5
    stderr = verify_fails()
    assert f"chain {chain[0].chain}: seq=1" in stderr
    assert "head says 5" in stderr


def test_deleted_last_row_and_head_is_detected(chain):
    with triggers_off():
        sql(f"DELETE FROM {TABLE} WHERE id = %s", [chain[-1].pk])
        AuditHead.objects.filter(chain=chain[0].chain).delete()
    assert "head record is missing" in verify_fails()


def test_inserted_row_in_the_middle_is_detected_and_named(chain):
    with triggers_off():
        for row in reversed(chain[2:]):  # make room at seq 3
            sql(f"UPDATE {TABLE} SET seq = seq + 1 WHERE id = %s", [row.pk])
        forged = insert_copy(
            chain[1], seq=3, prev_hash=chain[1].hash, action="village.household.forged"
        )
    stderr = verify_fails()
    assert f"row id={forged} seq=3: inserted row" in stderr


def test_inserted_row_at_the_end_is_caught_by_the_head(chain):
    forged = insert_copy(
        chain[-1], seq=6, prev_hash=chain[-1].hash, action="village.household.forged"
    )
    stderr = verify_fails()
    assert f"row id={forged} seq=6" in stderr
    assert "beyond the chain head" in stderr


def test_reordered_pair_is_detected_and_named(chain):
    second, third = chain[1], chain[2]
    with triggers_off():
        sql(f"UPDATE {TABLE} SET seq = %s WHERE id = %s", [1000, second.pk])
        sql(f"UPDATE {TABLE} SET seq = %s WHERE id = %s", [2, third.pk])
        sql(f"UPDATE {TABLE} SET seq = %s WHERE id = %s", [3, second.pk])
    stderr = verify_fails()
    assert f"row id={third.pk} seq=2" in stderr
    assert "reordered" in stderr


def test_replaced_last_row_is_caught_by_the_head(chain):
    last = chain[-1]
    forged = expected_hash(last, object_repr="A-666")
    with triggers_off():
        sql(
            f"UPDATE {TABLE} SET object_repr = %s, hash = %s WHERE id = %s",
            ["A-666", forged, last.pk],
        )
    stderr = verify_fails()
    assert f"row id={last.pk} seq=5" in stderr


def test_only_the_broken_chain_is_reported(chain, shared_township):
    neighbour = shared_township["neighbour"]
    area = AreaFactory(parent__village=neighbour)
    services.household_create(actor=SYSTEM, village=neighbour, number="B-1", area=area)
    assert AuditEvent.objects.filter(chain=f"v{neighbour.pk}").count() == 1
    with triggers_off():
        sql(f"UPDATE {TABLE} SET actor_name = %s WHERE id = %s", ["mallory", chain[0].pk])
    stderr = verify_fails()
    assert stderr.count("BAD ") == 1
    assert f"chain {chain[0].chain}:" in stderr
    assert f"v{shared_township['neighbour'].pk}" not in stderr


def test_appending_after_verification_keeps_the_chain_intact(chain, shared_township):
    verify()
    services.household_create(
        actor=shared_township["users"]["secretary"],
        village=shared_township["own"],
        number="A-006",
        area=shared_township["area"],
    )
    head = AuditHead.objects.get(chain=chain[0].chain)
    assert head.seq == 6
    verify()
