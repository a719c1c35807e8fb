"""Demo site of 东毛铺村 (and an empty one for 西河村): the 村规民约 in two versions, moral
models with generated portraits, notices to different audiences, the power list, the 一核五治
home sections.

- `content`: the texts (data);
- `site`: `build_demo`, which publishes the pages through Wagtail's page API;
- `online`: the villagers' phone logins and their notice reads;
- `images`: generated portraits.
"""

from .site import build_demo

__all__ = ["build_demo"]
