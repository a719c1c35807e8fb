"""The roster services the demo registers its villages with (`households_create`,
`villagers_create`, `villagers_update`): the rows, history and chain events of the single
services, in the same order, and refusals that write nothing."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import get_resolver

from tests.factories import AreaFactory, HouseholdFactory, VillagerFactory, make_id_number
from tests.support.concurrency import skip_unless_postgresql
from tests.support.village_services import events, villager_fields, writes_nothing
from village import audit, services
from village.models import AuditEvent, Household

pytestmark = pytest.mark.usefixtures("_chinese")


def chain_actions(village) -> list[tuple[str, dict]]:
    rows = AuditEvent.objects.filter(chain=audit.chain_key(village=village)).order_by("seq")
    return [(row.action, row.payload) for row in rows]


def a_family(shared_township) -> list[dict]:
    household = HouseholdFactory(village=shared_township["own"], area=shared_township["area"])
    son = date(2001, 5, 4)
    return [
        {**villager_fields(shared_township, household=household), "make_head": True},
        villager_fields(
            shared_township,
            household=household,
            name="王小明",
            id_number=make_id_number(son),
            birth_date=son,
            gender="m",
            phone="",
            relation_to_head="儿子",
        ),
    ]


def test_a_family_registered_at_once_writes_what_one_by_one_would(shared_township):
    secretary, village = shared_township["secretary"], shared_township["own"]
    before = AuditEvent.objects.count()
    mother, son = services.villagers_create(
        actor=secretary, village=village, people=a_family(shared_township)
    )
    assert Household.objects.get(pk=mother.household_id).head == mother
    assert mother.history.count() == son.history.count() == 1
    assert [action for action, _payload in chain_actions(village)[-3:]] == [
        "village.villager.create",
        "village.household.update",
        "village.villager.create",
    ]
    assert events("village.household.update").get().payload == {"head": [None, mother.pk]}
    created = events("village.villager.create").last().payload
    assert created["name"] == "王小明" and created["id_number"] == son.masked_id_number
    assert AuditEvent.objects.count() == before + 3

    # The same family registered one by one leaves the same events in the chain.
    single = a_family(shared_township)
    for fields in single:
        services.villager_create(actor=secretary, village=village, **fields)
    bulk_events, single_events = chain_actions(village)[-6:-3], chain_actions(village)[-3:]
    assert [a for a, _p in bulk_events] == [a for a, _p in single_events]
    assert [sorted(p) for _a, p in bulk_events] == [sorted(p) for _a, p in single_events]


def test_a_family_with_one_bad_member_is_refused_whole(shared_township):
    family = a_family(shared_township)
    family[1]["id_number"] = "12345"
    with writes_nothing(), pytest.raises(ValidationError) as excinfo:
        services.villagers_create(
            actor=shared_township["secretary"], village=shared_township["own"], people=family
        )
    assert "18位" in excinfo.value.message_dict["id_number"][0]


def test_households_registered_at_once_are_each_in_the_chain(shared_township):
    secretary, village, area = (shared_township[k] for k in ("secretary", "own", "area"))
    households = services.households_create(
        actor=secretary,
        village=village,
        households=[
            {"number": "B-001", "area": area, "address": "东街1号"},
            {"number": "B-002", "area": area, "address": "东街2号"},
        ],
    )
    assert [h.number for h in households] == ["B-001", "B-002"]
    assert all(h.history.count() == 1 for h in households)
    payloads = [e.payload for e in events("village.household.create")]
    assert [p["number"] for p in payloads] == ["B-001", "B-002"]


def test_marking_villagers_at_once_records_each_change(shared_township):
    secretary, village = shared_township["secretary"], shared_township["own"]
    people = services.villagers_create(
        actor=secretary, village=village, people=a_family(shared_township)
    )
    services.villagers_update(
        actor=secretary, village=village, villagers=people, party_membership="full"
    )
    changes = [e.payload for e in events("village.villager.update")]
    assert changes == [{"party_membership": ["none", "full"]}] * 2
    assert all(v.history.count() == 2 for v in people)


def test_marking_another_villages_villager_is_refused(shared_township):
    stranger = VillagerFactory(household__village=shared_township["neighbour"])
    with writes_nothing(), pytest.raises(ValidationError):
        services.villagers_update(
            actor=shared_township["secretary"],
            village=shared_township["own"],
            villagers=[shared_township["villager"], stranger],
            is_representative=False,
        )


def test_marking_needs_the_right_to_change_the_roster(shared_township):
    with writes_nothing(), pytest.raises(PermissionDenied):
        services.villagers_update(
            actor=shared_township["users"]["resident"],
            village=shared_township["own"],
            villagers=[shared_township["villager"]],
            party_membership="full",
        )


# -- a batch's refusals: the single service's words, nothing written ----------------------------


def single_refusal(shared_township, fields) -> dict:
    """What `villager_create` answers for `fields`, the attempt undone."""
    with transaction.atomic(), pytest.raises(ValidationError) as excinfo:
        services.villager_create(
            actor=shared_township["secretary"], village=shared_township["own"], **fields
        )
    return excinfo.value.message_dict


def batch_refusal(shared_township, people) -> dict:
    with writes_nothing(), pytest.raises(ValidationError) as excinfo:
        services.villagers_create(
            actor=shared_township["secretary"], village=shared_township["own"], people=people
        )
    return excinfo.value.message_dict


def test_an_id_number_twice_in_one_batch_is_refused_as_one_by_one(shared_township):
    family = a_family(shared_township)
    family[1]["id_number"] = family[0]["id_number"]
    family[1]["birth_date"] = family[0]["birth_date"]
    refused = batch_refusal(shared_township, family)
    services.villager_create(
        actor=shared_township["secretary"],
        village=shared_township["own"],
        **{k: v for k, v in family[0].items() if k != "make_head"},
    )
    assert refused == single_refusal(shared_township, family[1])
    assert "__all__" in refused


def test_an_id_number_already_registered_is_refused_as_one_by_one(shared_township):
    family = a_family(shared_township)
    stored = shared_township["villager"]
    family[1].update(id_number=stored.id_number, birth_date=stored.birth_date)
    refused = batch_refusal(shared_township, family)
    assert refused == single_refusal(shared_township, family[1])


def test_a_household_of_another_village_is_refused_as_one_by_one(shared_township):
    family = a_family(shared_township)
    family[1]["household"] = HouseholdFactory(village=shared_township["neighbour"])
    refused = batch_refusal(shared_township, family)
    assert (
        refused == single_refusal(shared_township, family[1]) == {"household": ["请选择本村的户。"]}
    )


def test_a_representative_term_ending_before_it_starts_is_refused_as_one_by_one(shared_township):
    family = a_family(shared_township)
    family[1].update(
        is_representative=True,
        representative_from=date(2026, 5, 1),
        representative_to=date(2026, 4, 30),
    )
    refused = batch_refusal(shared_township, family)
    assert refused == single_refusal(shared_township, family[1])
    assert "__all__" in refused


def test_a_batch_checks_its_rows_without_a_query_each(shared_township):
    """Each further villager costs its insert, its history row, the role cache's read of its
    household's users and Wagtail's reference index, in a savepoint: no query to check its
    household, its ID number or its term (the single service's check is four)."""

    def register(n):
        household = HouseholdFactory(village=shared_township["own"], area=shared_township["area"])
        people = [
            villager_fields(
                shared_township,
                household=household,
                id_number=make_id_number(date(1990, 8, 8), male=False),
            )
            for _ in range(n)
        ]
        with CaptureQueriesContext(connection) as queries:
            services.villagers_create(
                actor=shared_township["secretary"], village=shared_township["own"], people=people
            )
        return len(queries)

    # As on a running server, whose first request loaded the URLs: Wagtail's admin viewsets
    # then keep the villagers in its reference index (a read and an upsert per saved row).
    get_resolver().url_patterns  # noqa: B018
    register(1)  # the chain's head and the content type, read once
    three, five = register(3), register(5)
    assert five - three == 2 * 10


# -- changes of their own per villager (the demo's phone numbers) --------------------------------


def test_villagers_changed_each_their_own_way_as_one_by_one(shared_township):
    secretary, village = shared_township["secretary"], shared_township["own"]
    mother, son = services.villagers_create(
        actor=secretary, village=village, people=a_family(shared_township)
    )
    services.villagers_change(
        actor=secretary,
        village=village,
        changes=[(mother, {"phone": "13700000001"}), (son, {"phone": "13700000002"})],
    )
    assert [e.payload for e in events("village.villager.update")] == [
        {"phone": ["13911112222", "13700000001"]},
        {"phone": ["", "13700000002"]},
    ]
    assert [v.history.count() for v in (mother, son)] == [2, 2]
    assert [
        v.phone for v in services.villagers_change(actor=secretary, village=village, changes=[])
    ] == []


def single_change_refusal(shared_township, villager, changes) -> dict:
    with transaction.atomic(), pytest.raises(ValidationError) as excinfo:
        services.villager_update(actor=shared_township["secretary"], villager=villager, **changes)
    return excinfo.value.message_dict


@pytest.mark.parametrize("spoil", ["phone", "id_number", "household", "term"])
def test_villagers_changed_at_once_are_refused_as_one_by_one(shared_township, spoil):
    secretary, village = shared_township["secretary"], shared_township["own"]
    mother, son = services.villagers_create(
        actor=secretary, village=village, people=a_family(shared_township)
    )
    bad = {
        "phone": {"phone": "1370000000x"},
        "id_number": {"id_number": mother.id_number, "birth_date": mother.birth_date},
        "household": {"household": HouseholdFactory(village=shared_township["neighbour"])},
        "term": {
            "is_representative": True,
            "representative_from": date(2026, 5, 1),
            "representative_to": date(2026, 4, 30),
        },
    }[spoil]
    with writes_nothing(), pytest.raises(ValidationError) as excinfo:
        services.villagers_change(
            actor=secretary,
            village=village,
            changes=[(mother, {"phone": "13700000001"}), (son, bad)],
        )
    assert excinfo.value.message_dict == single_change_refusal(shared_township, son, bad)


# -- households at once ------------------------------------------------------------------------


def single_household_refusal(shared_township, fields) -> dict:
    with transaction.atomic(), pytest.raises(ValidationError) as excinfo:
        services.household_create(
            actor=shared_township["secretary"], village=shared_township["own"], **fields
        )
    return excinfo.value.message_dict


@pytest.mark.parametrize("spoil", ["number_twice", "number_stored", "foreign_area"])
def test_households_at_once_are_refused_as_one_by_one(shared_township, spoil):
    secretary, village, area = (shared_township[k] for k in ("secretary", "own", "area"))
    rows = [{"number": "C-001", "area": area}, {"number": "C-002", "area": area}]
    if spoil == "number_twice":
        rows[1]["number"] = "C-001"
    elif spoil == "number_stored":
        rows[1]["number"] = HouseholdFactory(village=village, area=area).number
    else:
        rows[1]["area"] = AreaFactory(
            village=shared_township["neighbour"],
            parent__village=shared_township["neighbour"],
        )
    with writes_nothing(), pytest.raises(ValidationError) as excinfo:
        services.households_create(actor=secretary, village=village, households=rows)
    if spoil == "number_twice":
        services.household_create(actor=secretary, village=village, **rows[0])
    refused = excinfo.value.message_dict
    assert refused == single_household_refusal(shared_township, rows[1])
    if spoil == "foreign_area":
        assert refused == {"area": ["请选择本村的一个片区。"]}


def test_a_row_without_a_household_is_refused_as_one_by_one(shared_township):
    family = a_family(shared_township)
    del family[1]["household"]
    refused = batch_refusal(shared_township, family)
    assert refused == single_refusal(shared_township, family[1])
    assert "household" in refused


def test_a_large_grid_as_a_households_area_is_refused_as_one_by_one(shared_township):
    secretary, village, area = (shared_township[k] for k in ("secretary", "own", "area"))
    rows = [{"number": "D-001", "area": area}, {"number": "D-002", "area": area.parent}]
    with writes_nothing(), pytest.raises(ValidationError) as excinfo:
        services.households_create(actor=secretary, village=village, households=rows)
    assert excinfo.value.message_dict == single_household_refusal(shared_township, rows[1])


def test_a_batch_locks_the_villagers_rows_only(shared_township):
    """Not their households (nor a household's area): two batches over the same households in
    another order must not wait on each other's households, nor deadlock."""
    skip_unless_postgresql()
    secretary, village = shared_township["secretary"], shared_township["own"]
    people = services.villagers_create(
        actor=secretary, village=village, people=a_family(shared_township)
    )
    with CaptureQueriesContext(connection) as queries:
        services.villagers_change(
            actor=secretary, village=village, changes=[(v, {"phone": ""}) for v in people]
        )
        services.household_update(actor=secretary, household=people[0].household, address="西街9号")
    locks = [q["sql"] for q in queries.captured_queries if "FOR UPDATE" in q["sql"]]
    assert any('FROM "village_villager"' in sql for sql in locks)
    assert any('FROM "village_household"' in sql for sql in locks)
    for sql in locks:
        if 'INNER JOIN "village_household"' in sql or 'INNER JOIN "village_grid"' in sql:
            assert "FOR UPDATE OF" in sql, sql
