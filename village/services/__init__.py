"""Every write of the village core. Each service checks permission, validates, saves
atomically and records the event in the audit chain (and so in Wagtail's log).

One module per subject; the public functions are re-exported here, so
`from village import services; services.grid_create(...)` keeps working."""

from .accounts import (
    account_activate,
    account_create,
    accounts_create,
    activation_code_issue,
)
from .codes import CODE_ALPHABET, CODE_LENGTH, format_code
from .outbox import (
    inbox_mark_read,
    notification_send,
    push_subscribe,
    push_unsubscribe,
    reach_preference_set,
)
from .party import (
    commitment_add,
    commitment_fulfilment_note,
    commitment_update,
    commitment_withdraw,
    party_card_update,
    party_link_create,
    party_link_end,
    visit_note_for,
    visit_note_record,
)
from .proxies import proxy_bind, proxy_end
from .roles import (
    membership_create,
    membership_end,
    membership_update,
    township_membership_create,
)
from .roster import (
    HOUSEHOLD_FIELDS,
    VILLAGER_FIELDS,
    grid_create,
    grid_update,
    household_create,
    household_update,
    households_create,
    villager_build,
    villager_create,
    villager_id_number_reveal,
    villager_update,
    villagers_change,
    villagers_create,
    villagers_update,
)
from .supervision import supervision_note
from .tenancy import ruleset_create, ruleset_update, village_create

__all__ = [
    "CODE_ALPHABET",
    "CODE_LENGTH",
    "HOUSEHOLD_FIELDS",
    "VILLAGER_FIELDS",
    "account_activate",
    "account_create",
    "accounts_create",
    "activation_code_issue",
    "commitment_add",
    "commitment_fulfilment_note",
    "commitment_update",
    "commitment_withdraw",
    "format_code",
    "grid_create",
    "grid_update",
    "household_create",
    "household_update",
    "households_create",
    "inbox_mark_read",
    "membership_create",
    "membership_end",
    "membership_update",
    "notification_send",
    "party_card_update",
    "party_link_create",
    "party_link_end",
    "proxy_bind",
    "proxy_end",
    "push_subscribe",
    "push_unsubscribe",
    "reach_preference_set",
    "ruleset_create",
    "ruleset_update",
    "supervision_note",
    "township_membership_create",
    "village_create",
    "villager_build",
    "villager_create",
    "villager_id_number_reveal",
    "villager_update",
    "villagers_change",
    "villagers_create",
    "villagers_update",
    "visit_note_for",
    "visit_note_record",
]
