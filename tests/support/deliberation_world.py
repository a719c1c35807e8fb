"""A small village with known bodies, and a driver that runs a matter through the procedure.

The village (see ``tests.factories.deliberation_village``): branch committee 7 (secretary
一肩挑 on the village committee), village committee 6 (3 shared), two committees 10, full
party members 12 (+2 probationary), representatives' meeting 12, adults 28 in 12 households,
a minor and a villager who moved out.

Also, for the browser journeys, ``small_village`` (bodies small enough to count by hand) and
``to_vote`` (a matter of it taken to the vote by the services).
"""

from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from deliberation import selectors, services
from deliberation.models import BallotMode, Category, DecidingBody, Meeting, Origin
from tests.factories import (
    PASSWORD,
    AreaFactory,
    HouseholdFactory,
    MembershipFactory,
    UserFactory,
    VillageFactory,
    VillagerFactory,
    make_id_number,
)
from tests.support.clock import travel
from village.models import PartyMembership, Villager


def ids(people):
    """The primary keys of `people`, as the services take them."""
    return [p.pk for p in people]


class Procedure:
    """Drives one village's matters through the services, the way the secretary would."""

    def __init__(self, world):
        self.w = world
        self.actor = world.secretary.user

    def create(self, title="2027年村集体土地流转方案", **fields):
        defaults = {
            "body": "东片区120亩集体土地流转给合作社，租期五年，租金归集体。",
            "category": Category.LAND_CONTRACT,
            "origin": Origin.SUGGESTION,
            "deciding_body": DecidingBody.REPRESENTATIVES_MEETING,
            "ballot_mode": BallotMode.OPEN,
        }
        defaults.update(fields)
        return services.matter_create(
            actor=self.actor, village=self.w.village, title=title, **defaults
        )

    def record(
        self,
        matter,
        members,
        *,
        present=None,
        yes=None,
        no=(),
        minutes="会议纪要：与会人员逐项讨论，形成意见。",
        held_on=None,
        **kwargs,
    ):
        """Record the current step: `present` (default all `members`) vote yes unless listed in
        `no`; `yes` limits the yes votes to those people."""
        present = members if present is None else present
        votes = {}
        for person in present:
            if person in no:
                votes[person.pk] = "no"
            elif yes is None or person in yes:
                votes[person.pk] = "yes"
            else:
                votes[person.pk] = "abstain"
        return services.meeting_record(
            actor=self.actor,
            matter=matter,
            held_on=held_on or timezone.localdate(),
            present=ids(present),
            votes=votes,
            minutes=minutes,
            **kwargs,
        )

    def record_without_minutes(self, matter, members, **kwargs):
        """A meeting whose minutes are missing: recorded before minutes were required at save,
        or blanked behind the code's back — what the `minutes_missing` check still catches."""
        meeting = self.record(matter, members, **kwargs)
        Meeting.objects.filter(pk=meeting.pk).update(minutes="")
        return meeting

    def steps_1_to_3(self, matter, **kwargs):
        self.record(matter, self.w.branch, **kwargs)
        self.record(matter, self.w.two_committees, **kwargs)
        self.record(matter, self.w.party_full, **kwargs)
        matter.refresh_from_db()
        return matter

    def open_vote(self, matter, *, opens_at=None, closes_at=None, **kwargs):
        now = timezone.now()
        return services.matter_open_vote(
            actor=self.actor,
            matter=matter,
            held_on=timezone.localdate(),
            opens_at=opens_at or now - timedelta(hours=1),
            closes_at=closes_at or now + timedelta(days=2),
            place="村委会议室",
            chair=self.w.secretary,
            recorder=self.w.people["b1"],
            **kwargs,
        )

    def to_vote(self, title="2027年村集体土地流转方案", **fields):
        matter = self.steps_1_to_3(self.create(title, **fields))
        self.open_vote(matter)
        matter.refresh_from_db()
        return matter

    def vote(self, matter, person, choice="yes"):
        return services.vote_cast(actor=person.user, matter=matter, choice=choice)

    def hall(self, matter, present, *, votes=None, tally=None, households=None):
        return services.hall_votes_enter(
            actor=self.actor,
            matter=matter,
            present=ids(present),
            votes=votes,
            tally=tally,
            households=households,
        )

    def after_window(self, matter):
        meeting = selectors.current_vote_meeting(matter)
        return travel(meeting.vote_closes_at + timedelta(minutes=1))

    def close_vote(self, matter, minutes="计票结果当场宣布，会议纪要附后。"):
        with self.after_window(matter):
            meeting = services.matter_close_vote(actor=self.actor, matter=matter, minutes=minutes)
        matter.refresh_from_db()
        return meeting

    def resolve(self, matter, voters=None):
        """Everyone of the representatives' meeting votes yes in the hall, then the tally."""
        voters = self.w.representatives_body if voters is None else voters
        self.hall(matter, voters, votes={p.pk: "yes" for p in voters})
        return self.close_vote(matter)

    def publish(self, matter, text="决议：同意土地流转方案。公开期内可提出异议。"):
        publication = services.matter_publish(actor=self.actor, matter=matter, text=text)
        matter.refresh_from_db()
        return publication

    def close_publication(self, matter):
        publication = selectors.open_publication(matter)
        with travel(publication.ends_at + timedelta(minutes=1)):
            services.publication_close(actor=self.actor, matter=matter)
        matter.refresh_from_db()
        return matter

    def archive(self, matter):
        services.implementation_add(actor=self.actor, matter=matter, text="合同已签订，租金到账。")
        services.result_publish(
            actor=self.actor, matter=matter, text="实施结果：租金12万元已入账。"
        )
        matter.refresh_from_db()
        return self.close_publication(matter)


def many_villagers(world, n):
    """`n` more adult villagers with logins, spread over the village's households."""
    User = get_user_model()
    password = make_password(PASSWORD)
    users = User.objects.bulk_create(
        [User(username=f"voter{i:03d}", password=password) for i in range(n)]
    )
    villagers = []
    for i, user in enumerate(users):
        birth = date(1950 + i % 50, 1 + i % 12, 1 + i % 28)
        villagers.append(
            Villager(
                village=world.village,
                household=world.households[i % len(world.households)],
                name=f"投票人{i:03d}",
                id_number=make_id_number(birth, male=i % 2 == 0),
                birth_date=birth,
                gender="m" if i % 2 == 0 else "f",
                user=user,
            )
        )
    return Villager.objects.bulk_create(villagers)


# --- the small village of the browser journeys -----------------------------------------

BODY = "东片区120亩集体土地流转给种植合作社，租期五年，每亩每年租金800元，租金归村集体所有。"


def small_village(name="东毛铺村", code="dongmaopu", township=None):
    """A village whose bodies are small enough to count by hand:

    - branch committee (3): 李书记 (secretary, also on the village committee: 一肩挑), 王支委,
      赵支委 — all full party members;
    - village committee (3): 李书记, 孙村委, 周村委 → the two committees are 5 people;
    - full party members (5): the branch committee and 钱党员, 吴党员;
    - representatives (4): 郑代表 … 陈代表 → the representatives' meeting is them ∪ the
      village committee: 7 people;
    - 王大妈, an ordinary villager; everyone adult, registered and with a login.
    """
    village = VillageFactory(name=name, code=code, **({"township": township} if township else {}))
    area = AreaFactory(parent__village=village, name="一片区")
    homes = [
        HouseholdFactory(village=village, area=area, number=f"{code[:3].upper()}-{i:04d}")
        for i in range(1, 7)
    ]
    full = PartyMembership.FULL
    term = timezone.localdate() - timedelta(days=400)
    people = {}
    for n, (label, person_name, party, representative) in enumerate(
        [
            ("s", "李书记", full, False),
            ("b1", "王支委", full, False),
            ("b2", "赵支委", full, False),
            ("v1", "孙村委", None, False),
            ("v2", "周村委", None, False),
            ("p1", "钱党员", full, False),
            ("p2", "吴党员", full, False),
            ("r1", "郑代表", None, True),
            ("r2", "冯代表", None, True),
            ("r3", "褚代表", None, True),
            ("r4", "陈代表", None, True),
            ("x", "王大妈", None, False),
        ]
    ):
        people[label] = VillagerFactory(
            household=homes[n % len(homes)],
            name=person_name,
            party_membership=party or PartyMembership.NONE,
            is_representative=representative,
            representative_from=term if representative else None,
            phone=f"139{village.pk % 100:02d}{n:06d}",
            user=UserFactory(username=f"{code}-{label}", first_name=person_name),
        )
    MembershipFactory(villager=people["s"], role="secretary", start=term)
    for label in ("s", "v1", "v2"):
        MembershipFactory(villager=people[label], role="village_committee", start=term)
    for label in ("b1", "b2"):
        MembershipFactory(villager=people[label], role="branch_committee", start=term)
    return village, people


def to_vote(
    village,
    people,
    *,
    title,
    deciding_body,
    minutes="与会人员逐项讨论，一致同意。",
    ballot_mode=BallotMode.OPEN,
):
    """A matter taken through steps 1–3 and opened for the vote by the services."""
    actor = people["s"].user
    matter = services.matter_create(
        actor=actor,
        village=village,
        title=title,
        body=BODY,
        category=Category.LAND_CONTRACT,
        origin=Origin.SUGGESTION,
        deciding_body=deciding_body,
        ballot_mode=ballot_mode,
    )
    for members in (
        ["s", "b1", "b2"],
        ["s", "b1", "b2", "v1", "v2"],
        ["s", "b1", "b2", "p1", "p2"],
    ):
        ids = [people[label].pk for label in members]
        services.meeting_record(
            actor=actor,
            matter=matter,
            held_on=timezone.localdate(),
            present=ids,
            votes=dict.fromkeys(ids, "yes"),
            minutes=minutes,
            place="村委会议室",
        )
    now = timezone.now()
    services.matter_open_vote(
        actor=actor,
        matter=matter,
        held_on=timezone.localdate(),
        opens_at=now - timedelta(hours=1),
        closes_at=now + timedelta(days=2),
        place="村委会议室",
        chair=people["s"],
        recorder=people["b1"],
    )
    matter.refresh_from_db()
    return matter
