"""The append-only audit chain: one call records a domain event, one function verifies.

Each row's hash is SHA-256 over a canonical JSON serialisation of its content and the
previous row's hash, so editing, deleting, inserting or reordering a row breaks the chain.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import transaction
from django.utils import timezone

from .models import AuditEvent, AuditHead, Township, Village

GENESIS = "0" * 64


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


def _json_safe(payload: dict) -> dict:
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


@transaction.atomic
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
    AuditHead.objects.get_or_create(chain=key, defaults={"seq": 0, "hash": GENESIS})
    head = AuditHead.objects.select_for_update().get(chain=key)
    now = timezone.now()
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
            payload=_json_safe(event.payload),
            prev_hash=prev,
        )
        row.hash = _row_hash(row)
        prev = row.hash
        rows.append(row)
    AuditEvent.objects.bulk_create(rows)
    AuditHead.objects.filter(chain=key).update(seq=seq, hash=prev)
    _log_to_wagtail(actor, events)
    return rows


def _log_to_wagtail(actor, events: list[Event]) -> None:
    """Mirror events in Wagtail's log so they appear in the admin's history reports."""
    from wagtail.log_actions import log

    from .log_actions import is_registered

    for event in events:
        if is_registered(event.action):
            log(instance=event.obj, action=event.action, user=actor, data=event.payload)


@dataclass
class ChainProblem:
    chain: str
    seq: int | None
    row_id: int | None
    reason: str

    def __str__(self):
        where = f"row id={self.row_id} seq={self.seq}" if self.row_id else f"seq={self.seq}"
        return f"chain {self.chain}: {where}: {self.reason}"


def verify_chain(key: str) -> ChainProblem | None:
    """Recompute one chain; return the first bad row, or None when intact."""
    expected_seq, prev = 1, GENESIS
    before_prev, prev_row = GENESIS, None
    last_hash, last_seq = GENESIS, 0
    for row in AuditEvent.objects.filter(chain=key).order_by("seq", "id").iterator():
        if row.seq > expected_seq:
            return ChainProblem(
                key,
                expected_seq,
                None,
                f"row seq {expected_seq} is missing (deleted); "
                f"the chain resumes at row id={row.pk} seq={row.seq}",
            )
        if row.seq != expected_seq:
            return ChainProblem(
                key, row.seq, row.pk, "duplicate or reordered sequence number (inserted/reordered)"
            )
        if row.prev_hash != prev:
            if prev_row is not None and row.prev_hash == before_prev:
                # The next row links past the one before it: that one was slipped in.
                return ChainProblem(
                    key, prev_row.seq, prev_row.pk, "inserted row: the next row links past it"
                )
            return ChainProblem(
                key,
                row.seq,
                row.pk,
                "previous-hash link broken: this row or the one before it was inserted, "
                "replaced or reordered",
            )
        if _row_hash(row) != row.hash:
            return ChainProblem(key, row.seq, row.pk, "content does not match its hash (edited)")
        before_prev, prev, prev_row = prev, row.hash, row
        expected_seq += 1
        last_hash, last_seq = row.hash, row.seq
    head = AuditHead.objects.filter(chain=key).first()
    if head is None:
        if last_seq:
            return ChainProblem(key, last_seq, None, "the chain's head record is missing (deleted)")
        return None
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
    if head.hash != last_hash:
        return ChainProblem(
            key,
            last_seq,
            prev_row.pk if prev_row else None,
            "last row does not match the chain head (edited or replaced)",
        )
    return None


def verify_all() -> list[ChainProblem]:
    keys = set(AuditEvent.objects.values_list("chain", flat=True).distinct())
    keys |= set(AuditHead.objects.values_list("chain", flat=True))
    problems = []
    for key in sorted(keys):
        problem = verify_chain(key)
        if problem:
            problems.append(problem)
    return problems


def head_of(village: Village) -> AuditHead | None:
    return AuditHead.objects.filter(chain=chain_key(village=village)).first()
