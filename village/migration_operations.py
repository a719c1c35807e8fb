"""What our squashed migrations are made of (Django's "writing your own" operations).

`CreateModels` creates several models in one step. Django's `CreateModel`, applied while the
migration state is rendered (as `migrate` keeps it), re-renders the new model and every model
related to it, recursively: for a model that points at the village or the user, that is nearly
every model of the project and of Wagtail, some two hundred, once per model created. Here the
models are added to the state together and the related models rendered once for all of them.
What reaches the database is each `CreateModel`'s own work, in order.
"""

from importlib import import_module

from django.db import migrations
from django.db.migrations.operations.base import Operation


class CreateModels(Operation):
    """`CreateModel` operations applied as one: the same state, the same tables."""

    def __init__(self, operations):
        self.operations = operations

    def deconstruct(self):
        return (self.__class__.__qualname__, [self.operations], {})

    def state_forwards(self, app_label, state):
        # `ProjectState.add_model` re-renders only a state whose apps are rendered: add every
        # model to the bare state, then render what they touch once.
        rendered = state.__dict__.pop("apps", None)
        for operation in self.operations:
            operation.state_forwards(app_label, state)
        if rendered is not None:
            state.apps = rendered
            state.reload_models(
                [(app_label, operation.name_lower) for operation in self.operations],
                delay=False,
            )

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        for operation in self.operations:
            operation.database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        for operation in reversed(self.operations):
            operation.database_backwards(app_label, schema_editor, from_state, to_state)

    def describe(self):
        return "Create models " + ", ".join(operation.name for operation in self.operations)

    @property
    def migration_name_fragment(self):
        return "models"


class ModelSteps(CreateModels):
    """`CreateModel` and `AddField` operations of one app applied as one, for the same reason:
    each would re-render every related model (nearly all of them) on its own; together the
    touched models are rendered once. Each step's database work runs against the states before
    and after the whole batch, so no two steps may touch the same model."""

    def __init__(self, operations):
        touched = [_model_of(operation) for operation in operations]
        if len(set(touched)) != len(touched):
            raise ValueError(f"ModelSteps: two steps touch one model: {touched}")
        super().__init__(operations)

    def state_forwards(self, app_label, state):
        rendered = state.__dict__.pop("apps", None)
        for operation in self.operations:
            operation.state_forwards(app_label, state)
        if rendered is not None:
            state.apps = rendered
            touched = {(app_label, _model_of(operation)) for operation in self.operations}
            state.reload_models(sorted(touched), delay=False)

    def describe(self):
        return "Model steps: " + "; ".join(operation.describe() for operation in self.operations)

    @property
    def migration_name_fragment(self):
        return "model_steps"


def _model_of(operation) -> str:
    """The model an operation changes: a field's operation names its model; a model's
    operation, its own name."""
    return getattr(operation, "model_name_lower", None) or operation.name_lower


def replaced_guards(app_label: str, *names: str) -> list[Operation]:
    """The database guards (triggers, functions, partial indexes: their `RunPython` and `RunSQL`
    steps) of the named migrations of `app_label`, in their order, for the squash that replaces
    them to run on the tables it created: their SQL stays written once, in those migrations.
    Their data steps find nothing to change on a new database."""
    steps = []
    for name in names:
        module = import_module(f"{app_label}.migrations.{name}")
        steps += [
            step
            for step in module.Migration.operations
            if isinstance(step, (migrations.RunPython, migrations.RunSQL))
        ]
    return steps
