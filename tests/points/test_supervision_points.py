"""村务监督委员会 on the ledger (组织法 Art. 32: publications and finances): a member countersigns
an allocation and disputes a monthly points list, with a reason, from the admin pages; the notes
are in the chain and on the pages the inspector reads; nobody else writes one."""

from django.urls import reverse

from points import services
from points.models import Allocation
from tests.support.points_world import person
from village.models import AuditEvent, SupervisionNote

REASON = "三户的环境卫生扣分没有照片，应补充后再公示"


def test_a_member_countersigns_an_allocation_and_disputes_a_list(points_world, ledger, as_user):
    w = points_world
    supervisor = person(w.village, w.h[3], "jianwei", role="supervision")
    ledger.open_year()
    ledger.post((w.h[1], "HJ01"))
    allocation = services.allocation_create(
        actor=w.secretary, village=w.village, year=w.day.year, title="年终奖励", pool_fen=600_00
    )
    [_entry], publication = ledger.published((w.h[1], "HJ01"))
    client = as_user(supervisor)
    url = reverse("points_admin_supervise")
    page = reverse("points_admin_allocation", args=[allocation.pk])
    client.post(
        url,
        {
            "kind": "allocation",
            "id": allocation.pk,
            "stance": "countersign",
            "text": "同意",
            "next": page,
        },
    )
    client.post(
        url,
        {"kind": "publication", "id": publication.pk, "stance": "dispute", "text": REASON},
    )
    client.post(url, {"kind": "publication", "id": publication.pk, "stance": "dispute"})
    notes = [(n.subject_type, n.stance, n.text) for n in SupervisionNote.objects.order_by("pk")]
    assert notes == [
        ("points.allocation", "countersign", "同意"),
        ("points.publication", "dispute", REASON),
    ]
    payload = AuditEvent.objects.get(action="village.supervision.dispute").payload
    assert payload["publication"] == publication.pk and payload["text"] == REASON
    # The inspector reads both, and has no form.
    inspector = as_user(w.inspector)
    html = inspector.get(page).content.decode()
    assert 'data-testid="supervision-note"' in html and "同意" in html
    assert 'data-testid="supervise"' not in html
    html = inspector.get(reverse("points_admin_publications")).content.decode()
    assert REASON in html and 'data-testid="supervise"' not in html
    before = SupervisionNote.objects.count()
    for user in (w.inspector, w.secretary, w.committee, w.resident):
        as_user(user).post(
            url, {"kind": "allocation", "id": allocation.pk, "stance": "dispute", "text": "x"}
        )
    assert SupervisionNote.objects.count() == before
    assert Allocation.objects.get(pk=allocation.pk).published_at is None
