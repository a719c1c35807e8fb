"""Background work of the points app (django-tasks: the database backend and `manage.py
db_worker` in `make run`, the immediate backend in tests)."""

from django_tasks import task


@task()
def statements_book(batch_id: int) -> int | None:
    """Every household's passbook of a year as one book; progress on the DocumentBatch row."""
    from .documents import statements_batch_run

    return statements_batch_run(batch_id)
