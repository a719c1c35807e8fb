"""While the demo loads, cache writes are held in the process and written to the shared cache
once at the end (village/demo/cache.py): the shared cache ends as if written directly."""

import pytest
from django.core.cache import cache, caches

from village.demo.cache import WriteBehind, writes_held


def test_held_writes_reach_the_shared_cache_once_with_their_last_value():
    real = caches["default"]
    real.set("kept", "old", None)
    real.set("gone", "x", None)
    with writes_held() as held:
        assert isinstance(caches["default"], WriteBehind)
        cache.set("gen", "a", None)
        cache.set("gen", "b", None)  # advanced twice: the shared cache sees only "b"
        cache.set_many({"many": 1}, 60)
        cache.delete("gone")
        assert real.get("gen") is None  # nothing written through meanwhile
        assert cache.get("kept") is None  # the held cache starts empty
    assert caches["default"] is real
    assert real.get("gen") == "b" and real.get("many") == 1
    assert real.get("kept") == "old" and real.get("gone") is None
    assert held.written == {"gen": None, "many": 60}


def test_writes_are_flushed_when_the_load_fails():
    real = caches["default"]
    with pytest.raises(RuntimeError), writes_held():
        cache.set("advanced", "t1", None)
        raise RuntimeError("load failed")
    assert caches["default"] is real and real.get("advanced") == "t1"
