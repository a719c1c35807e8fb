"""Helpers every service module shares: what changed, and what the audit chain may show."""

from ..models import (
    mask_id_number,
)


def fields_of(obj, names) -> dict:
    """`obj`'s fields `names` as stored (foreign keys as ids), for an audit payload."""
    return {name: getattr(obj, name + "_id", getattr(obj, name, None)) for name in names}


def apply_changes(obj, changes: dict) -> dict:
    """Set fields on `obj`; return {field: [old, new]} for those that changed."""
    diff = {}
    for name, value in changes.items():
        field = obj._meta.get_field(name)
        attname = field.attname
        old = getattr(obj, attname)
        setattr(obj, name, value)
        new = getattr(obj, attname)
        if old != new:
            diff[name] = [old, new]
    return diff


def redact(diff: dict) -> dict:
    """`diff` with any ID number masked: the chain is read by inspectors."""
    if "id_number" in diff:
        diff = {**diff, "id_number": [mask_id_number(v or "") for v in diff["id_number"]]}
    return diff
