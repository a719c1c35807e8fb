"""Every write of the points ledger, one module per sub-domain. Each service checks the
permission and the guard, validates, locks what it changes (accounts always in ascending id
order), writes, and records the event in the village's audit chain.

Lifecycle: entry_record (grid officer) / entry_claim (villager) → entries_review (committee)
→ publication_create (monthly list, objection window) → objection_file / objection_answer →
publication_close (posts what has no open objection) → posted. Corrections: entry_reverse.
Welfare: redeem (store counter), year_open (base points), star_round_rate / _publish /
star_rating_revoke, allocation_create; then under a resolution (decisions.py):
allocation_propose / star_round_propose (open the deciding matter) → allocation_publish /
star_round_publish (only under that resolution) → allocation_object /
allocation_objection_answer (the list's objection window).
"""

from .catalogue import catalogue_adopt, catalogue_draft, catalogue_rule_remove, catalogue_rule_save
from .decisions import (
    allocation_object,
    allocation_objection_answer,
    allocation_propose,
    allocation_publish,
    star_round_propose,
    star_round_publish,
)
from .entries import entries_review, entry_claim, entry_propose, entry_record
from .ledger import account_for, entry_reverse, year_open
from .publications import objection_answer, objection_file, publication_close, publication_create
from .store import redeem, store_item_create, store_item_update
from .supervision import allocation_supervise, publication_supervise
from .welfare import allocation_create, star_rating_revoke, star_round_rate

__all__ = [
    "account_for",
    "allocation_create",
    "allocation_object",
    "allocation_objection_answer",
    "allocation_propose",
    "allocation_publish",
    "allocation_supervise",
    "catalogue_adopt",
    "catalogue_draft",
    "catalogue_rule_remove",
    "catalogue_rule_save",
    "entries_review",
    "entry_claim",
    "entry_propose",
    "entry_record",
    "entry_reverse",
    "objection_answer",
    "objection_file",
    "publication_close",
    "publication_create",
    "publication_supervise",
    "redeem",
    "star_rating_revoke",
    "star_round_propose",
    "star_round_publish",
    "star_round_rate",
    "store_item_create",
    "store_item_update",
    "year_open",
]
