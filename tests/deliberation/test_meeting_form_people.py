"""The meeting form's chair and recorder lists (every villager of the village), written without
a template per option: escaped, the chosen person selected, the choice saved."""

import pytest
from django.urls import reverse

from deliberation.admin_views import MeetingForm, people_choices
from tests.factories import VillagerFactory

pytestmark = pytest.mark.django_db


def test_the_people_lists_escape_names_and_keep_the_choice(procedure, deliberation_world):
    matter = procedure.create()
    odd = VillagerFactory(household=deliberation_world.households[0], name='<b>"王"</b>')
    people = people_choices(matter)
    html = str(MeetingForm(matter=matter, people=people)["chair"])
    assert html.count("<option") == people.count() + 1  # and 请选择's "---------"
    assert "<b>" not in html and "&lt;b&gt;&quot;王&quot;&lt;/b&gt;" in html
    form = MeetingForm({"chair": str(odd.pk)}, matter=matter, people=people)
    form.is_valid()
    assert form.cleaned_data["chair"] == odd
    assert f'<option value="{odd.pk}" selected>' in str(form["chair"])


def test_the_matter_page_lists_the_village_as_chair_and_recorder(
    client, procedure, deliberation_world
):
    matter = procedure.create()
    client.force_login(deliberation_world.secretary.user)
    html = client.get(reverse("deliberation_admin_matter", args=[matter.pk])).content.decode()
    someone = deliberation_world.people["x3"]
    assert html.count(f'<option value="{someone.pk}">{someone.name}</option>') == 2
