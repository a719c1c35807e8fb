"""`CreateModels` (our squashed migrations' step): the same state and tables as `CreateModel`
one by one, the state rendered once."""

import pytest
from django.db import connection, migrations, models
from django.db.migrations.state import ProjectState

from village.migration_operations import CreateModels

APP = "village"


def operations():
    """Two models pointing at each other, the first at the second before it exists."""
    return [
        migrations.CreateModel(
            name="TrialLeft",
            fields=[
                ("id", models.BigAutoField(primary_key=True)),
                ("right", models.ForeignKey("village.TrialRight", models.PROTECT, null=True)),
            ],
            options={"constraints": [models.UniqueConstraint("right", name="trial_left_once")]},
        ),
        migrations.CreateModel(
            name="TrialRight",
            fields=[
                ("id", models.BigAutoField(primary_key=True)),
                ("left", models.ForeignKey("village.TrialLeft", models.PROTECT, null=True)),
                ("village", models.ForeignKey("village.Village", models.PROTECT)),
            ],
        ),
    ]


def rendered_state():
    from django.db.migrations.loader import MigrationLoader

    state = MigrationLoader(None, ignore_no_migrations=True).project_state()
    state.apps  # rendered, as `migrate` keeps it  # noqa: B018
    return state


def test_the_state_is_every_model_with_its_relations_rendered_once(monkeypatch):
    state = rendered_state()
    renders = []
    real = type(state)._reload
    monkeypatch.setattr(type(state), "_reload", lambda self, m: renders.append(m) or real(self, m))

    CreateModels(operations()).state_forwards(APP, state)

    assert len(renders) == 1
    left = state.apps.get_model(APP, "TrialLeft")
    right = state.apps.get_model(APP, "TrialRight")
    assert left._meta.get_field("right").related_model is right
    assert right._meta.get_field("left").related_model is left
    assert right._meta.get_field("village").related_model is state.apps.get_model(APP, "Village")
    assert [c.name for c in left._meta.constraints] == ["trial_left_once"]
    # the same model states as the operations one by one, on a state not rendered
    one_by_one = ProjectState()
    for model_state in state.models.values():
        if (model_state.app_label, model_state.name_lower) not in {
            (APP, "trialleft"),
            (APP, "trialright"),
        }:
            one_by_one.add_model(model_state.clone())
    for operation in operations():
        operation.state_forwards(APP, one_by_one)
    for name in ("trialleft", "trialright"):
        batch, single = state.models[APP, name], one_by_one.models[APP, name]
        assert {n: f.deconstruct()[1:] for n, f in batch.fields.items()} == {
            n: f.deconstruct()[1:] for n, f in single.fields.items()
        }
        assert batch.options == single.options


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.usefixtures("flushable_audit_chain")
def test_the_tables_are_created_and_dropped():
    before = rendered_state()
    after = before.clone()
    step = CreateModels(operations())
    step.state_forwards(APP, after)

    with connection.schema_editor() as editor:
        step.database_forwards(APP, editor, before, after)
    try:
        tables = connection.introspection.table_names()
        assert {"village_trialleft", "village_trialright"} <= set(tables)
        with connection.cursor() as cursor:
            constraints = connection.introspection.get_constraints(cursor, "village_trialleft")
        assert constraints["trial_left_once"]["unique"]
        assert constraints["trial_left_once"]["columns"] == ["right_id"]
    finally:
        with connection.schema_editor() as editor:
            step.database_backwards(APP, editor, after, before)
    assert not {"village_trialleft", "village_trialright"} & set(
        connection.introspection.table_names()
    )
    assert step.describe() == "Create models TrialLeft, TrialRight"


def test_model_steps_add_fields_and_models_with_one_render(monkeypatch):
    """`ModelSteps`: a new model, a field added to an existing model pointing at it and a field
    altered, rendered once, to the same model states as the operations one by one."""
    from village.migration_operations import ModelSteps

    steps = [
        *operations(),
        migrations.AddField(
            model_name="village",
            name="trial",
            field=models.ForeignKey("village.TrialLeft", models.PROTECT, null=True),
        ),
        migrations.AlterField(
            model_name="grid", name="name", field=models.CharField(max_length=80)
        ),
    ]
    state = rendered_state()
    renders = []
    real = type(state)._reload
    monkeypatch.setattr(type(state), "_reload", lambda self, m: renders.append(m) or real(self, m))
    ModelSteps(steps).state_forwards(APP, state)
    assert len(renders) == 1
    village = state.apps.get_model(APP, "Village")
    assert village._meta.get_field("trial").related_model is state.apps.get_model(APP, "TrialLeft")
    one_by_one = rendered_state()
    for operation in steps:
        operation.state_forwards(APP, one_by_one)
    for name in ("village", "grid", "trialleft", "trialright"):
        batch, single = state.models[APP, name], one_by_one.models[APP, name]
        assert {n: f.deconstruct()[1:] for n, f in batch.fields.items()} == {
            n: f.deconstruct()[1:] for n, f in single.fields.items()
        }


def test_model_steps_refuse_two_steps_on_one_model():
    """Each step's database work sees the states before and after the whole batch: a field
    added to a model created in the same batch would be added to a table not there yet."""
    from village.migration_operations import ModelSteps

    with pytest.raises(ValueError, match="two steps touch one model"):
        ModelSteps(
            [
                *operations(),
                migrations.AddField(
                    model_name="trialright", name="note", field=models.TextField(default="")
                ),
            ]
        )
