"""The demo township: 东毛铺村 as the seed report describes it, and a smaller 西河村.

Everything is generated from fixed seeds (Faker zh_CN and `random.Random`), so two runs on two
machines give the same villages. The township and 西河村 are fictional; people are invented.

- `plan`: seeds, the shared password, the villages' plans and staffing (data);
- `clock`: the simulated clock the other apps' demo stories run on;
- `builder`: `DemoBuilder`, which registers the township through `village.services` and then
  runs each app's registered demo builder (`load_demo` calls it).
- `cache`, `references`: the shared cache's writes and Wagtail's reference-index tasks, held
  while the demo loads and done once at the end.

The builder is not imported here: it loads Faker, and the apps' demos import this package when
Django starts.
"""

from .clock import clock
from .plan import MAIN, PASSWORD, SECOND, TODAY, VillagePlan, one_password_hash

__all__ = ["MAIN", "PASSWORD", "SECOND", "TODAY", "VillagePlan", "clock", "one_password_hash"]
