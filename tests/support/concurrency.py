"""Writers racing on PostgreSQL: callables run on threads that start together."""

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

POSTGRESQL_ONLY = "concurrency tests need PostgreSQL (row locks and real parallel writers)"


def skip_unless_postgresql() -> None:
    """Skip the test on SQLite: it has neither row locks nor parallel writers."""
    if connection.vendor != "postgresql":
        pytest.skip(POSTGRESQL_ONLY)


def in_threads(tasks, *, threads):
    """Run the callables in `tasks` on `threads` threads that start together; each thread
    closes its database connection at the end. Returns (outcome, value) per task, in order:
    outcome is "ok", "invalid" (a ValidationError) or "error" (any other exception)."""
    chunks = [tasks[i::threads] for i in range(threads)]
    start = threading.Barrier(threads)
    results = {}

    def worker(chunk_index):
        try:
            start.wait(timeout=60)
            for offset, task in enumerate(chunks[chunk_index]):
                index = chunk_index + offset * threads
                try:
                    results[index] = ("ok", task())
                except ValidationError as exc:
                    results[index] = ("invalid", exc)
                except Exception as exc:
                    results[index] = ("error", exc)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(worker, range(threads)))
    return [results[i] for i in range(len(tasks))]


def outcome_kinds(outcomes) -> Counter:
    """How many of the (outcome, value) pairs of `in_threads` ended each way."""
    return Counter(kind for kind, _value in outcomes)
