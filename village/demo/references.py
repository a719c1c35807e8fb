"""Wagtail's reference index while the demo loads: one task per object saved, queued at the end.

Wagtail queues a task that re-indexes an object's references on every save of a tracked model.
The demo saves most villagers and households twice or more (registered, made head, given an
office or a phone), so about 3,000 tasks were queued for 1,700 objects, each an INSERT during
the load and a run of the worker afterwards. Held here, each object saved is queued once, after
the load, and indexes what it finally holds. Deletions are indexed as they happen.
"""

from contextlib import contextmanager

from django.db.models.signals import post_save

UID = "cunzhi-demo-references"


@contextmanager
def references_indexed_once():
    from wagtail.models import ReferenceIndex
    from wagtail.signal_handlers import update_reference_index_on_save
    from wagtail.tasks import update_reference_index_task

    saved: dict[tuple[type, str], None] = {}  # ordered: queued in the order first saved

    def remember(sender, instance, raw=False, **kwargs):
        if not raw:
            saved[(sender, str(instance.pk))] = None

    models = list(ReferenceIndex.tracked_models)
    for model in models:
        post_save.disconnect(update_reference_index_on_save, sender=model)
        post_save.connect(remember, sender=model, weak=False, dispatch_uid=UID)
    try:
        yield
    finally:
        for model in models:
            post_save.disconnect(sender=model, dispatch_uid=UID)
            post_save.connect(update_reference_index_on_save, sender=model)
    existing = {}  # not deleted later in the load
    for model in {model for model, _pk in saved}:
        pks = [pk for m, pk in saved if m is model]
        stored = model._default_manager.filter(pk__in=pks).values_list("pk", flat=True)
        existing[model] = {str(pk) for pk in stored}
    for model, pk in saved:
        if pk in existing[model]:
            update_reference_index_task.enqueue(model._meta.app_label, model._meta.model_name, pk)
