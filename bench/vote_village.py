"""A village on its vote day, built through the app's own services: N adult villagers who each
hold an API token, the first three of them cadres, and a matter through steps 1–3 and open for
an online vote of the villagers' meeting. Used by bench/votes.py and by the live SQLite test
(tests/village/test_sqlite_live_concurrency.py); call it with Django set up and migrated."""

from datetime import date, timedelta


def build(voters: int, ballot_mode: str) -> tuple[int, list[tuple[int, str]]]:
    """The village, its voters and the open vote; returns the matter and (villager, token)."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone
    from wagtail.models import APIToken

    from deliberation import services
    from deliberation.models import Matter
    from village import services as core
    from village.models import GridLevel, Household, Township, Villager
    from village.permissions import SYSTEM
    from village.selectors import Body, body_members

    township = Township.objects.create(name="测速镇", code="bench")
    village = core.village_create(
        actor=SYSTEM, township=township, name="测速村", code="benchvillage"
    )
    large = core.grid_create(actor=SYSTEM, village=village, name="第一网格", level=GridLevel.LARGE)
    area = core.grid_create(
        actor=SYSTEM, village=village, name="一片区", level=GridLevel.AREA, parent=large
    )
    User = get_user_model()
    households = Household.objects.bulk_create(
        [Household(village=village, number=f"B-{i:05d}", area=area) for i in range(voters)]
    )
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    people = []
    for i, household in enumerate(households):
        # Born 1940–1989: every one of them an adult on the voter list, each birth date unique.
        birth = date(1940, 1, 1) + timedelta(days=i % 18000)
        body = f"370124{birth:%Y%m%d}{i % 999:03d}"
        check = "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]
        user = User.objects.create(username=f"v{i:05d}")
        people.append(
            Villager(
                village=village,
                household=household,
                name=f"村民{i}",
                id_number=body + check,
                birth_date=birth,
                gender="m",
                user=user,
            )
        )
    Villager.objects.bulk_create(people)
    villager_of = dict(Villager.objects.filter(village=village).values_list("user_id", "id"))
    tokens = [
        (villager_of[u.pk], APIToken.create_token(user=u, name="bench")[1])
        for u in User.objects.filter(username__startswith="v").order_by("username")
    ]
    # Cadres: the first three villagers hold the branch and village committee roles.
    day = timezone.localdate() - timedelta(days=10)
    first = list(Villager.objects.filter(village=village).order_by("id")[:3])
    for i, v in enumerate(first):
        core.membership_create(
            actor=SYSTEM,
            village=village,
            villager=v,
            role="secretary" if i == 0 else "branch_committee",
            start=day,
        )
        core.membership_create(
            actor=SYSTEM, village=village, villager=v, role="village_committee", start=day
        )
    Villager.objects.filter(pk__in=[v.pk for v in first]).update(party_membership="full")
    matter = services.matter_create(
        actor=SYSTEM,
        village=village,
        title="测速议题",
        body="测速用。",
        category="other",
        origin="cadre",
        deciding_body="villagers_meeting",
        ballot_mode=ballot_mode,
    )
    for step_day in (day, day + timedelta(days=1), day + timedelta(days=2)):
        matter = Matter.objects.get(pk=matter.pk)
        body = {1: Body.BRANCH_COMMITTEE, 2: Body.TWO_COMMITTEES, 3: Body.PARTY_MEMBERS}[
            matter.current_step
        ]
        members = [m.pk for m in body_members(village=village, body=body, on=step_day)]
        services.meeting_record(
            actor=SYSTEM,
            matter=matter,
            held_on=step_day,
            present=members,
            votes={m: "yes" for m in members},
            minutes="测速",
        )
    now = timezone.now()
    services.matter_open_vote(
        actor=SYSTEM,
        matter=Matter.objects.get(pk=matter.pk),
        held_on=timezone.localdate(),
        opens_at=now - timedelta(minutes=1),
        closes_at=now + timedelta(hours=3),
    )
    return matter.pk, tokens
