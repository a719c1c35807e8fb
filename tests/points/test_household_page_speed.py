"""The household's points page does not loop over the whole year (issue 16): its entries come a
page at a time, and the catalogue's rules are rendered once per catalogue and language — and
anew when a category is renamed."""

from django.urls import reverse

from points import views
from points.models import Category


def test_entries_come_a_page_at_a_time(points_world, ledger, as_user, monkeypatch):
    monkeypatch.setattr(views, "ENTRIES_PER_PAGE", 3)
    ledger.post(*[(points_world.h[1], code) for code in ("HJ01", "HJ02") * 2])
    client = as_user(points_world.resident)
    first = client.get(reverse("points:home")).content.decode()
    second = client.get(reverse("points:home") + "?page=2").content.decode()
    # Four entries: three on the first page, one on the second (the rules are on both).
    assert first.count('class="points-value') - second.count('class="points-value') == 2
    assert 'data-testid="entries-next"' in first and "?page=2" in first
    assert 'data-testid="entries-next"' not in second and "?page=1" in second
    for bad in ("0", "x", "²", "99999999999999999999"):
        assert client.get(reverse("points:home") + f"?page={bad}").status_code == 200


def test_the_rules_show_a_renamed_category_at_once(points_world, as_user):
    client = as_user(points_world.resident)
    html = client.get(reverse("points:home")).content.decode()
    category = Category.objects.filter(village=points_world.village).order_by("order").first()
    assert f"<summary>{category.name}（" in html
    category.name = "新的类别名"
    category.save()
    html = client.get(reverse("points:home")).content.decode()
    assert "<summary>新的类别名（" in html
