"""Demo points ledger (积分制) of 东毛铺村: the rules, the 积分超市, and the history from January
of last year to the day the demo is loaded, written through points.services on a simulated clock
so that every entry, review, publication, objection, posting and redemption carries the date it
would have had and is in the village's audit chain.

The story is written for two years, 2025 as last year and 2026 as this year (STORY_YEAR); it is
told for the year of loading and the one before, and stops at the moment of loading: whatever it
planned for later has not happened yet.

- `data`: the catalogue's rules, the store's goods, the seasons (data);
- `story`: the year's own events, as rows;
- `setup`: the catalogue, the store keeper and the shelf;
- `ledger`: `PointsDemo`, which plays the story;
- `photos`: generated evidence photos.

西河村 gets no points records: its pages show the empty state.
"""

from village.models import Village

from ..models import Catalogue
from .ledger import PointsDemo


def build_demo(township, stdout=None):
    """The app's demo builder (registered with village.extensions): 东毛铺村's points, once."""
    village = Village.objects.filter(township=township, code="dongmaopu").first()
    if village is None or Catalogue.objects.filter(village=village).exists():
        return
    demo = PointsDemo(village, stdout)
    demo.build()
    demo.say(demo.summary())


__all__ = ["PointsDemo", "build_demo"]
