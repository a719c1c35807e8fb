"""The cache while the demo loads: writes held in this process and written to the shared cache
once, at the end.

Loading the demo changes thousands of rows in one transaction, and each change advances a cache
generation (the village sites' fragment keys) twice — now and on commit. Against the file cache
of `make run` every write also lists the cache directory, a fifth of the load's time. Held
here, each key is written to the shared cache once, with its last value, when the load is done:
the shared cache ends as it would have, and no process reads it meanwhile (the demo's rows are
not committed before then).
"""

from contextlib import contextmanager

from django.core.cache import caches
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache

ALIAS = "default"


class WriteBehind(LocMemCache):
    """A local cache that remembers which keys were written or deleted, and how long the
    written ones are to be kept."""

    def __init__(self):
        super().__init__("cunzhi-demo-load", {"MAX_ENTRIES": 10**9, "CULL_FREQUENCY": 0})
        self.written: dict[str, object] = {}  # key → timeout given
        self.deleted: set[str] = set()

    def _wrote(self, key, timeout):
        self.written[key] = timeout
        self.deleted.discard(key)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        added = super().add(key, value, timeout, version)
        if added:
            self._wrote(key, timeout)
        return added

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        super().set(key, value, timeout, version)
        self._wrote(key, timeout)

    def delete(self, key, version=None):
        self.written.pop(key, None)
        self.deleted.add(key)
        return super().delete(key, version)

    def incr(self, key, delta=1, version=None):
        value = super().incr(key, delta, version)
        self.written.setdefault(key, DEFAULT_TIMEOUT)
        return value

    def flush_to(self, target) -> int:
        """Write every key still held (with the timeout it was given) and delete the deleted
        ones in `target`; returns how many keys were written."""
        count = 0
        for key, timeout in self.written.items():
            value = self.get(key, self)
            if value is self:
                continue  # expired meanwhile
            target.set(key, value, timeout)
            count += 1
        if self.deleted:
            target.delete_many(list(self.deleted))
        return count


@contextmanager
def writes_held():
    """Within: the default cache is a `WriteBehind`; at the end its writes go to the real
    one (also when the load fails, so that what was advanced stays advanced)."""
    real = caches[ALIAS]
    held = WriteBehind()
    caches[ALIAS] = held
    try:
        yield held
    finally:
        caches[ALIAS] = real
        held.flush_to(real)
