"""村务监督委员会 on the points ledger (组织法 Art. 32: publications and finances): countersign
(会签) or dispute, with a reason, a monthly points list or a welfare allocation, or give an
opinion on it. The note is the core's (village.services.supervision_note)."""

from village import services as village_services

from ..models import Allocation, Publication


def allocation_supervise(*, actor, allocation: Allocation, stance: str, text: str = ""):
    allocation = Allocation.objects.select_related("village").get(pk=allocation.pk)
    return village_services.supervision_note(
        actor=actor,
        village=allocation.village,
        subject=allocation,
        stance=stance,
        text=text,
        context={"allocation": allocation.pk},
    )


def publication_supervise(*, actor, publication: Publication, stance: str, text: str = ""):
    publication = Publication.objects.select_related("village").get(pk=publication.pk)
    return village_services.supervision_note(
        actor=actor,
        village=publication.village,
        subject=publication,
        stance=stance,
        text=text,
        context={"publication": publication.pk},
    )
