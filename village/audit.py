"""The append-only audit chain: one call records a domain event, one function verifies.

Each row's hash is SHA-256 over a canonical JSON serialisation of its content and the
previous row's hash, so editing, deleting, inserting or reordering a row breaks the chain.
SHA-256 alone can be recomputed by anyone who can write the database, so the chain is also
held from outside it:

- each chain's head (seq, hash) is sealed with the integrity key, which the database does not
  hold (village/keys.py): a chain cut back with its head rewound, or rewritten with every later
  hash recomputed, no longer matches the seal;
- each village's head is written into its township's chain (`audit.anchor`) on every published
  resolution and at least daily, so cutting a village's chain back below an anchor shows even
  when an old, genuinely sealed head is put back;
- every issued document prints the village's head and stores it (`verify_audit --against`).
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from . import keys
from .models import AuditEvent, AuditHead, Document, Township, Village
from .permissions import SYSTEM, user_of

GENESIS = "0" * 64
ANCHOR = "audit.anchor"
ANCHOR_EVERY = timedelta(days=1)
SEAL_PURPOSE = "audit-head"


def chain_key(*, village: Village | None = None, township: Township | None = None) -> str:
    if village is not None:
        return f"v{village.pk}"
    return f"t{township.pk}"


def canonical(
    *,
    chain: str,
    seq: int,
    created_at: datetime,
    actor_id: int | None,
    actor_name: str,
    action: str,
    object_type: str,
    object_id: str,
    object_repr: str,
    payload: dict,
    prev_hash: str,
) -> bytes:
    body = {
        "chain": chain,
        "seq": seq,
        "created_at": created_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor_id": actor_id,
        "actor_name": actor_name,
        "action": action,
        "object_type": object_type,
        "object_id": str(object_id),
        "object_repr": object_repr,
        "payload": payload,
        "prev_hash": prev_hash,
    }
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def _row_hash(event: AuditEvent) -> str:
    return hashlib.sha256(
        canonical(
            chain=event.chain,
            seq=event.seq,
            created_at=event.created_at,
            actor_id=event.actor_id,
            actor_name=event.actor_name,
            action=event.action,
            object_type=event.object_type,
            object_id=event.object_id,
            object_repr=event.object_repr,
            payload=event.payload,
            prev_hash=event.prev_hash,
        )
    ).hexdigest()


def json_safe(payload: dict) -> dict:
    # Round-trip so the stored JSON and the hashed JSON are the same values (dates → str).
    return json.loads(json.dumps(payload, ensure_ascii=False, default=str, sort_keys=True))


@dataclass(frozen=True)
class Event:
    action: str
    obj: object
    payload: dict


def record(
    *,
    actor,
    action: str,
    obj,
    payload: dict | None = None,
    village: Village | None = None,
    township: Township | None = None,
) -> AuditEvent:
    """Append one event for `obj` to its village's chain (or the township's)."""
    return record_many(
        actor=actor,
        events=[Event(action, obj, payload or {})],
        village=village,
        township=township,
    )[0]


@transaction.atomic(savepoint=False)  # part of the caller's transaction, all or nothing
def record_many(
    *, actor, events: list[Event], village: Village | None = None, township=None
) -> list[AuditEvent]:
    """Append several events in one locked step (bulk imports)."""
    if village is None and township is None:
        obj = events[0].obj
        village = obj if isinstance(obj, Village) else getattr(obj, "village", None)
    if village is not None:
        township_id = village.township_id
    else:
        township_id = township.pk
    key = chain_key(village=village, township=township)
    now = timezone.now()
    head = AuditHead.objects.select_for_update().filter(chain=key).first()
    if head is None:  # the chain's first event
        AuditHead.objects.get_or_create(
            chain=key, defaults={"seq": 0, "hash": GENESIS, "anchored_at": now}
        )
        head = AuditHead.objects.select_for_update().get(chain=key)
    actor = user_of(actor)  # the system is stored as no user, named "system"
    actor_id = actor.pk if actor is not None else None
    actor_name = actor.get_username() if actor is not None else "system"
    rows = []
    seq, prev = head.seq, head.hash
    for event in events:
        seq += 1
        obj = event.obj
        row = AuditEvent(
            chain=key,
            seq=seq,
            village=village,
            township_id=township_id,
            created_at=now,
            actor_id=actor_id,
            actor_name=actor_name,
            action=event.action,
            object_type=obj._meta.label_lower,
            object_id=str(obj.pk),
            object_repr=str(obj)[:200],
            payload=json_safe(event.payload),
            prev_hash=prev,
        )
        row.hash = _row_hash(row)
        prev = row.hash
        rows.append(row)
    AuditEvent.objects.bulk_create(rows)
    key_id, seal = seal_head(key, seq, prev, head.anchored_seq)
    AuditHead.objects.filter(chain=key).update(seq=seq, hash=prev, seal=seal, key_id=key_id)
    _log_to_wagtail(actor, events)
    if village is not None and (head.anchored_at is None or now - head.anchored_at >= ANCHOR_EVERY):
        anchor(village=village, reason="daily")
    return rows


def _head_message(chain: str, seq: int, hash_: str, anchored_seq: int) -> str:
    return f"{chain}\n{seq}\n{hash_}\n{anchored_seq}"


def seal_head(chain: str, seq: int, hash_: str, anchored_seq: int = 0) -> tuple[str, str]:
    """(key id, seal) of a chain's head — and of the seq last anchored in the township's
    chain, so that anchor cannot be forgotten quietly — under the integrity key."""
    return keys.seal(SEAL_PURPOSE, _head_message(chain, seq, hash_, anchored_seq))


def head_seal_ok(head: AuditHead) -> bool:
    return keys.seal_ok(
        SEAL_PURPOSE,
        _head_message(head.chain, head.seq, head.hash, head.anchored_seq),
        key_id=head.key_id,
        mac=head.seal,
    )


@transaction.atomic
def anchor(*, village: Village, reason: str, actor=SYSTEM) -> AuditEvent | None:
    """Write the village chain's head into the township's chain (a township-level anchor)."""
    key = chain_key(village=village)
    head = AuditHead.objects.select_for_update().filter(chain=key).first()
    if head is None or head.seq == 0:
        return None
    event = record(
        actor=actor,
        action=ANCHOR,
        obj=village,
        payload={"chain": key, "seq": head.seq, "hash": head.hash, "reason": reason},
        township=village.township,
    )
    key_id, seal = seal_head(key, head.seq, head.hash, head.seq)
    AuditHead.objects.filter(chain=key).update(
        anchored_at=event.created_at, anchored_seq=head.seq, seal=seal, key_id=key_id
    )
    return event


def anchor_all(*, reason: str = "daily") -> int:
    """Anchor every village whose head moved since its last anchor (cron: `anchor_audit`)."""
    moved = set(
        AuditHead.objects.filter(chain__startswith="v", seq__gt=F("anchored_seq")).values_list(
            "chain", flat=True
        )
    )
    count = 0
    for village in Village.objects.select_related("township"):
        if chain_key(village=village) in moved:
            anchor(village=village, reason=reason)
            count += 1
    return count


def _log_to_wagtail(actor, events: list[Event]) -> None:
    """Mirror events in Wagtail's log so they appear in the admin's history reports. Entries of
    plain models and of pages are written in one INSERT per log model, with the fields Wagtail's
    own `log()` gives them: that one saves each entry apart (and for plain models runs
    `full_clean()`, three queries per event on every vote), and a bulk import — a day's notice
    receipts, a roster — logs hundreds at once."""
    from django.contrib.contenttypes.models import ContentType
    from wagtail.log_actions import get_active_log_context, log, registry
    from wagtail.models import ModelLogEntry, PageLogEntry

    from .log_actions import is_mirrored

    context = get_active_log_context()
    by_model: dict[type, list] = {}
    for event in events:
        if not is_mirrored(event.action):
            continue
        obj = event.obj
        model = registry.get_log_model_for_instance(obj)
        if model is ModelLogEntry:
            where = {"object_id": str(obj.pk)}
            label = str(obj) or f"{obj.__class__.__name__} object ({obj.pk})"
        elif model is PageLogEntry:
            where = {"page": obj}
            label = PageLogEntry.objects.get_instance_title(obj)
        else:
            log(instance=obj, action=event.action, user=actor, data=event.payload)
            continue
        by_model.setdefault(model, []).append(
            model(
                content_type=ContentType.objects.get_for_model(obj, for_concrete_model=False),
                label=label,
                action=event.action,
                timestamp=timezone.now(),
                data=event.payload,
                user=actor or context.user,
                uuid=context.uuid,
                **where,
            )
        )
    for model, entries in by_model.items():
        model.objects.bulk_create(entries)


@dataclass
class ChainProblem:
    chain: str
    seq: int | None
    row_id: int | None
    reason: str

    def __str__(self):
        where = f"row id={self.row_id} seq={self.seq}" if self.row_id else f"seq={self.seq}"
        return f"chain {self.chain}: {where}: {self.reason}"


@dataclass(frozen=True)
class Witness:
    """A (seq, hash) of a chain held somewhere else: a township anchor or an issued document."""

    seq: int
    hash: str
    where: str


def witnesses(key: str | None = None) -> dict[str, list[Witness]]:
    """Every copy of a village chain's head held outside that chain, by chain key."""
    found: dict[str, list[Witness]] = {}
    anchors = AuditEvent.objects.filter(action=ANCHOR)
    if key is not None:
        anchors = anchors.filter(payload__chain=key)
    for event in anchors.order_by("chain", "seq"):
        chain = event.payload.get("chain")
        found.setdefault(chain, []).append(
            Witness(
                int(event.payload.get("seq", 0)),
                str(event.payload.get("hash", "")),
                f"township anchor {event.chain}#{event.seq}",
            )
        )
    documents = Document.objects.filter(audit_seq__gt=0)
    if key is not None:
        documents = documents.filter(village_id=int(key[1:]) if key[:1] == "v" else -1)
    for doc in documents.only("code", "village_id", "audit_seq", "audit_hash"):
        found.setdefault(f"v{doc.village_id}", []).append(
            Witness(doc.audit_seq, doc.audit_hash, f"document {doc.code}")
        )
    return found


# The fields of a row the chain's walk reads: its hash's content (`_row_hash`), the row's id.
_WALKED = (
    "pk",
    "chain",
    "seq",
    "created_at",
    "actor_id",
    "actor_name",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "payload",
    "prev_hash",
    "hash",
)


@dataclass
class _Walk:
    """A walk along one chain: the seq it expects next, the hashes of the last two rows it
    passed (`prev`, `before_prev`) and the last row itself."""

    key: str
    by_seq: dict[int, list[Witness]]
    expected_seq: int = 1
    prev: str = GENESIS
    before_prev: str = GENESIS
    prev_row: AuditEvent | None = None

    @property
    def last_seq(self) -> int:
        return self.expected_seq - 1

    def problem(self, row: AuditEvent) -> ChainProblem | None:
        """The first thing wrong with `row`, the next row of the chain; None when it fits."""
        return (
            self._sequence_problem(row)
            or self._link_problem(row)
            or self._content_problem(row)
            or self._witness_problem(row)
        )

    def advance(self, row: AuditEvent) -> None:
        self.before_prev, self.prev, self.prev_row = self.prev, row.hash, row
        self.expected_seq += 1

    def _sequence_problem(self, row: AuditEvent) -> ChainProblem | None:
        if row.seq > self.expected_seq:
            return ChainProblem(
                self.key,
                self.expected_seq,
                None,
                f"row seq {self.expected_seq} is missing (deleted); "
                f"the chain resumes at row id={row.pk} seq={row.seq}",
            )
        if row.seq != self.expected_seq:
            return ChainProblem(
                self.key,
                row.seq,
                row.pk,
                "duplicate or reordered sequence number (inserted/reordered)",
            )
        return None

    def _link_problem(self, row: AuditEvent) -> ChainProblem | None:
        if row.prev_hash == self.prev:
            return None
        if self.prev_row is not None and row.prev_hash == self.before_prev:
            # The next row links past the one before it: that one was slipped in.
            return ChainProblem(
                self.key,
                self.prev_row.seq,
                self.prev_row.pk,
                "inserted row: the next row links past it",
            )
        return ChainProblem(
            self.key,
            row.seq,
            row.pk,
            "previous-hash link broken: this row or the one before it was inserted, "
            "replaced or reordered",
        )

    def _content_problem(self, row: AuditEvent) -> ChainProblem | None:
        if _row_hash(row) != row.hash:
            return ChainProblem(
                self.key, row.seq, row.pk, "content does not match its hash (edited)"
            )
        return None

    def _witness_problem(self, row: AuditEvent) -> ChainProblem | None:
        for witness in self.by_seq.get(row.seq, ()):
            if witness.hash != row.hash:
                return ChainProblem(
                    self.key,
                    row.seq,
                    row.pk,
                    f"differs from the copy of this row's hash held in the {witness.where} "
                    "(the chain was rewritten at or before this row, its hashes recomputed)",
                )
        return None


def _cut_back_problem(walk: _Walk, witnessed: list[Witness]) -> ChainProblem | None:
    """A copy of the head held elsewhere is ahead of the chain: rows were cut off its end."""
    last_seq = walk.last_seq
    beyond = [w for w in witnessed if w.seq > last_seq]
    if not beyond:
        return None
    witness = max(beyond, key=lambda w: w.seq)
    return ChainProblem(
        walk.key,
        last_seq + 1,
        None,
        f"chain ends at seq {last_seq} but the {witness.where} holds seq {witness.seq}: "
        "cut back (rows deleted)",
    )


def _head_position_problem(walk: _Walk, head: AuditHead) -> ChainProblem | None:
    """The chain's head record disagrees with where the chain ends."""
    key, last_seq = walk.key, walk.last_seq
    if head.seq > last_seq:
        return ChainProblem(
            key,
            last_seq + 1,
            None,
            f"chain ends at seq {last_seq} but its head says {head.seq}: trailing rows deleted",
        )
    if head.seq < last_seq:
        extra = AuditEvent.objects.filter(chain=key, seq=head.seq + 1).first()
        return ChainProblem(
            key,
            head.seq + 1,
            extra.pk if extra else None,
            f"row beyond the chain head (head says seq {head.seq}): inserted",
        )
    if head.hash != walk.prev:
        return ChainProblem(
            key,
            last_seq,
            walk.prev_row.pk if walk.prev_row else None,
            "last row does not match the chain head (edited or replaced)",
        )
    return None


def _head_witness_problem(
    walk: _Walk, head: AuditHead, witnessed: list[Witness]
) -> ChainProblem | None:
    """The head's anchor in the township chain, and its seal under the integrity key."""
    anchors = {w.seq for w in witnessed if w.where.startswith("township anchor")}
    if head.anchored_seq and head.anchored_seq not in anchors:
        return ChainProblem(
            walk.key,
            head.anchored_seq,
            None,
            f"the township chain no longer holds the anchor of seq {head.anchored_seq} "
            "(the township's chain was cut back or deleted)",
        )
    if walk.last_seq and not head_seal_ok(head):
        return ChainProblem(
            walk.key,
            walk.last_seq,
            walk.prev_row.pk if walk.prev_row else None,
            "the head's seal does not match: the chain was cut back with its head rewound, or "
            "rewritten with its hashes recomputed, by someone without the integrity key"
            if head.seal
            else "the chain's head is not sealed",
        )
    return None


def verify_chain(key: str, witnessed: list[Witness] | None = None) -> ChainProblem | None:
    """Recompute one chain; return the first bad row, or None when intact. `witnessed` are
    copies of its head held elsewhere (defaults to all of them)."""
    if witnessed is None:
        witnessed = witnesses(key).get(key, [])
    by_seq: dict[int, list[Witness]] = {}
    for witness in witnessed:
        by_seq.setdefault(witness.seq, []).append(witness)
    walk = _Walk(key, by_seq)
    # Plain rows (what the walk and the hash read), not model instances: a village's whole
    # chain is walked each time an audit trail is shown or printed.
    rows = AuditEvent.objects.filter(chain=key).order_by("seq", "id")
    for row in rows.values_list(*_WALKED, named=True).iterator():
        problem = walk.problem(row)
        if problem is not None:
            return problem
        walk.advance(row)
    problem = _cut_back_problem(walk, witnessed)
    if problem is not None:
        return problem
    head = AuditHead.objects.filter(chain=key).first()
    if head is None:
        if walk.last_seq:
            return ChainProblem(
                key, walk.last_seq, None, "the chain's head record is missing (deleted)"
            )
        return None
    return _head_position_problem(walk, head) or _head_witness_problem(walk, head, witnessed)


def verify_all() -> list[ChainProblem]:
    chains = set(AuditEvent.objects.values_list("chain", flat=True).distinct())
    chains |= set(AuditHead.objects.values_list("chain", flat=True))
    held = witnesses()
    chains |= set(held)
    problems = []
    for key in sorted(chains):
        problem = verify_chain(key, held.get(key, []))
        if problem:
            problems.append(problem)
    return problems


def verify_against(
    document: Document, *, seq: int | None = None, hash_: str | None = None
) -> ChainProblem | None:
    """Check a village's chain against the head printed on one issued document: the stored
    file must be the one issued, and the chain must still hold that head's row unchanged.
    `seq`/`hash_`: the head as read off the paper, which no database access can change;
    without them, the copy stored with the document."""
    key = chain_key(village=document.village)
    with document.file.open("rb") as f:
        if hashlib.sha256(f.read()).hexdigest() != document.sha256:
            return ChainProblem(key, None, None, f"document {document.code}: stored file differs")
    if seq is None:
        seq, hash_ = document.audit_seq, document.audit_hash
    elif (seq, hash_) != (document.audit_seq, document.audit_hash):
        return ChainProblem(
            key,
            seq,
            None,
            f"document {document.code}: the head stored with it (seq {document.audit_seq}) is "
            f"not the one printed on it (seq {seq}): the document's record was changed",
        )
    if not seq:
        return verify_chain(key, [])
    return verify_chain(key, [Witness(seq, hash_, f"document {document.code}")])


def head_of(village: Village) -> AuditHead | None:
    return AuditHead.objects.filter(chain=chain_key(village=village)).first()
