"""The village core: townships, villages and their rule sets, grids, households, villagers,
dated role memberships, activation codes, the append-only audit chain and issued documents.

One module per subject; everything is re-exported here so `village.models.X` keeps working
(migrations reference `validate_threshold`, `validate_id_number`, `document_path`, `_now`)."""

from .audit import AuditEvent, AuditHead
from .documents import (
    BatchStatus,
    Document,
    DocumentBatch,
    DocumentKind,
    document_path,
    requested_now,
)
from .outbox import (
    SENT_CHANNELS,
    Channel,
    Delivery,
    DeliveryStatus,
    Notification,
    NotificationKind,
    PushSubscription,
    ReachPreference,
    SmsMonth,
)
from .party import (
    BOARD_ROLES,
    Commitment,
    CommitmentSet,
    Fulfilment,
    PartyCard,
    PartyLink,
    VisitNote,
)
from .proxies import HouseholdProxy, proxy_field
from .roles import (
    ActivationCode,
    DatedQuerySet,
    Membership,
    TownshipMembership,
    TownshipRole,
    VillageRole,
)
from .roster import (
    ID_NUMBER_RE,
    PHONE_RE,
    Gender,
    Grid,
    GridLevel,
    Household,
    HouseholdStatus,
    PartyMembership,
    Villager,
    VillagerStatus,
    add_years,
    mask_id_number,
    validate_id_number,
)
from .supervision import Stance, SupervisionNote
from .tenancy import (
    RULE_SOURCES,
    THRESHOLD_RE,
    CarryOver,
    RuleSet,
    Threshold,
    Township,
    Village,
    rule_versions_prefetch,
    validate_threshold,
)

# The name migration 0004 gives `DocumentBatch.requested_at`'s default.
_now = requested_now

__all__ = [
    "BOARD_ROLES",
    "ID_NUMBER_RE",
    "PHONE_RE",
    "RULE_SOURCES",
    "SENT_CHANNELS",
    "THRESHOLD_RE",
    "ActivationCode",
    "AuditEvent",
    "AuditHead",
    "BatchStatus",
    "CarryOver",
    "Channel",
    "Commitment",
    "CommitmentSet",
    "DatedQuerySet",
    "Delivery",
    "DeliveryStatus",
    "Document",
    "DocumentBatch",
    "DocumentKind",
    "Fulfilment",
    "Gender",
    "Grid",
    "GridLevel",
    "Household",
    "HouseholdProxy",
    "HouseholdStatus",
    "Membership",
    "Notification",
    "NotificationKind",
    "PartyCard",
    "PartyLink",
    "PartyMembership",
    "PushSubscription",
    "ReachPreference",
    "RuleSet",
    "SmsMonth",
    "Stance",
    "SupervisionNote",
    "Threshold",
    "Township",
    "TownshipMembership",
    "TownshipRole",
    "Village",
    "VillageRole",
    "Villager",
    "VillagerStatus",
    "VisitNote",
    "add_years",
    "document_path",
    "mask_id_number",
    "proxy_field",
    "requested_now",
    "rule_versions_prefetch",
    "validate_id_number",
    "validate_threshold",
]
