"""What the points lifecycle tests share: the audit chain check and a count of audit actions."""

from tests.support.points_world import actions
from village import audit


def chain_ok():
    assert audit.verify_all() == []
    return True


def count(action, village):
    return actions(village).count(action)
