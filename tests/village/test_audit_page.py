"""The /admin/audit/ page: actions by their registered names, a broken chain explained in the
reader's language (verify_audit keeps its English), and a query count that does not grow."""

import re

import pytest

from tests.support.village_audit import TABLE, expected_hash, insert_copy, sql, triggers_off
from village import audit, services
from village.models import AuditEvent, AuditHead

URL = "/admin/audit/"


def _households(shared_township, numbers):
    for n in numbers:
        services.household_create(
            actor=shared_township["secretary"],
            village=shared_township["own"],
            number=f"A-{n:03d}",
            area=shared_township["area"],
            address=f"东街{n}号",
        )


@pytest.fixture
def chain(shared_township):
    """Five "新建户" events on the own village's chain."""
    _households(shared_township, range(1, 6))
    return list(
        AuditEvent.objects.filter(chain=audit.chain_key(village=shared_township["own"])).order_by(
            "seq"
        )
    )


def _text(html: str) -> str:
    """What the reader sees: the page without its tags and their attributes."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _recent(html: str) -> str:
    return _text(html.split('data-testid="audit-recent"', 1)[1])


def _page(client, user) -> str:
    client.force_login(user)
    response = client.get(URL)
    assert response.status_code == 200
    return response.content.decode()


def test_recent_events_show_the_registered_label_not_the_code(chain, shared_township, client):
    html = _page(client, shared_township["secretary"])
    recent = _recent(html)
    assert recent.count("新建户") == 5
    assert "village.household.create" not in recent
    assert "完整" in _text(html) and "不完整" not in _text(html)


def test_recent_events_follow_the_english_ui(chain, shared_township, client):
    client.force_login(shared_township["secretary"])
    client.post("/i18n/setlang/", {"language": "en", "next": URL})
    recent = _recent(client.get(URL).content.decode())
    assert "新建户" not in recent
    assert "village.household.create" not in recent


def _edit(chain):
    with triggers_off():
        sql(f"UPDATE {TABLE} SET object_repr = %s WHERE id = %s", ["A-666", chain[2].pk])
    return f"第 3 条（id={chain[2].pk}）：内容与哈希不符（被修改）。"


def _relink(chain):
    forged = expected_hash(chain[2], object_repr="A-666")
    with triggers_off():
        sql(
            f"UPDATE {TABLE} SET object_repr = %s, hash = %s WHERE id = %s",
            ["A-666", forged, chain[2].pk],
        )
    return f"第 4 条（id={chain[3].pk}）：与上一条的哈希链接断开"


def _delete_middle(chain):
    with triggers_off():
        sql(f"DELETE FROM {TABLE} WHERE id = %s", [chain[2].pk])
    return f"第 3 条：第 3 条记录缺失（被删除）；链从第 4 条（id={chain[3].pk}）接续。"


def _delete_last(chain):
    with triggers_off():
        sql(f"DELETE FROM {TABLE} WHERE id = %s", [chain[-1].pk])
    return "第 5 条：链止于第 4 条，链头却记为第 5 条：末尾的记录被删除。"


def _delete_last_and_head(chain):
    with triggers_off():
        sql(f"DELETE FROM {TABLE} WHERE id = %s", [chain[-1].pk])
        AuditHead.objects.filter(chain=chain[0].chain).delete()
    return "第 4 条：链头记录缺失（被删除）。"


def _insert_middle(chain):
    with triggers_off():
        for row in reversed(chain[2:]):
            sql(f"UPDATE {TABLE} SET seq = seq + 1 WHERE id = %s", [row.pk])
        forged = insert_copy(
            chain[1], seq=3, prev_hash=chain[1].hash, action="village.household.forged"
        )
    return f"第 3 条（id={forged}）：插入的记录：下一条越过它链接。"


def _insert_end(chain):
    forged = insert_copy(
        chain[-1], seq=6, prev_hash=chain[-1].hash, action="village.household.forged"
    )
    return f"第 6 条（id={forged}）：超出链头的记录（链头记为第 5 条）：被插入。"


def _reorder(chain):
    second, third = chain[1], chain[2]
    with triggers_off():
        sql(f"UPDATE {TABLE} SET seq = %s WHERE id = %s", [1000, second.pk])
        sql(f"UPDATE {TABLE} SET seq = %s WHERE id = %s", [2, third.pk])
        sql(f"UPDATE {TABLE} SET seq = %s WHERE id = %s", [3, second.pk])
    return f"第 2 条（id={third.pk}）：与上一条的哈希链接断开"


def _replace_last(chain):
    forged = expected_hash(chain[-1], object_repr="A-666")
    with triggers_off():
        sql(
            f"UPDATE {TABLE} SET object_repr = %s, hash = %s WHERE id = %s",
            ["A-666", forged, chain[-1].pk],
        )
    return f"第 5 条（id={chain[-1].pk}）：最后一条与链头不符（被修改或替换）。"


@pytest.mark.parametrize(
    "tamper",
    [
        _edit,
        _relink,
        _delete_middle,
        _delete_last,
        _delete_last_and_head,
        _insert_middle,
        _insert_end,
        _reorder,
        _replace_last,
    ],
)
def test_a_broken_chain_is_explained_in_chinese(chain, shared_township, client, tamper):
    expected = tamper(chain)
    problem = audit.verify_chain(chain[0].chain)
    assert problem is not None  # verify_audit's own words stay English
    assert problem.reason.isascii()
    text = _text(_page(client, shared_township["secretary"]))
    assert f"不完整：{expected}" in text
    assert problem.reason not in text
    assert f"chain {chain[0].chain}" not in text


def test_an_unlisted_reason_is_shown_as_verify_audit_words_it(
    chain, shared_township, client, monkeypatch
):
    def verify(key):
        return audit.ChainProblem(key, 2, None, "something new")

    monkeypatch.setattr(audit, "verify_chain", verify)
    assert "不完整：第 2 条：something new" in _text(_page(client, shared_township["secretary"]))


def test_audit_page_queries_do_not_grow_with_events(
    chain, shared_township, client, django_assert_num_queries
):
    client.force_login(shared_township["secretary"])
    client.get(URL)  # warm the session's per-request caches
    # session and roles, each visible village's chain and head, the copies of each head held
    # elsewhere (township anchors, documents), the recent events
    with django_assert_num_queries(16) as first:
        client.get(URL)
    _households(shared_township, range(6, 16))
    with django_assert_num_queries(len(first.captured_queries)):
        html = client.get(URL).content.decode()
    assert _recent(html).count("新建户") == 15


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        (
            "the head's seal does not match: the chain was cut back with its head rewound, or "
            "rewritten with its hashes recomputed, by someone without the integrity key",
            "链头的密封与链不符",
        ),
        (
            "differs from the copy of this row's hash held in the township anchor t3#7 (the chain "
            "was rewritten at or before this row, its hashes recomputed)",
            "与乡镇审计链锚定记录 t3#7 保存的这一条的哈希不符",
        ),
        (
            "chain ends at seq 3 but the document ABCD2345EF holds seq 5: cut back (rows deleted)",
            "链止于第 3 条，文书 ABCD2345EF 却保存着第 5 条：链被截短。",
        ),
        (
            "the township chain no longer holds the anchor of seq 5 (the township's chain was cut "
            "back or deleted)",
            "乡镇审计链中已没有第 5 条的锚定记录",
        ),
    ],
)
def test_the_sealed_chain_problems_read_in_chinese(reason, expected):
    from village.admin_views import chain_problem_text

    assert expected in chain_problem_text(audit.ChainProblem("v1", 5, None, reason))


def test_recent_events_name_the_person_not_the_login(chain, shared_township, client):
    recent = _recent(_page(client, shared_township["secretary"]))
    name = shared_township["secretary"].villager.name
    assert recent.count(name) >= 5
    assert " secretary " not in recent  # the login of the world's secretary


def test_an_account_without_a_villager_shows_its_full_name(shared_township, client):
    from django.contrib.auth import get_user_model

    clerk = get_user_model().objects.create_user(
        "clerk01", first_name="小红", last_name="王", is_superuser=True
    )
    services.household_create(
        actor=clerk,
        village=shared_township["own"],
        number="B-001",
        area=shared_township["area"],
        address="西街1号",
    )
    recent = _recent(_page(client, shared_township["secretary"]))
    assert clerk.get_full_name() in recent
    assert "clerk01" not in recent


def test_points_entries_show_their_registered_names(shared_township, client):
    from village import log_actions

    for action in ("points.entry.record", "points.entry.review", "points.entry.post"):
        assert log_actions.is_registered(action)
        assert not log_actions.is_mirrored(action)  # one row per entry stays out of Wagtail's log
