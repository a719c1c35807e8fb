"""Demo matters of 东毛铺村 (`build_demo`, registered with village.extensions by the app):
`story` tells which matters and when, `meetings` records their meetings and votes."""

from .story import build_demo

__all__ = ["build_demo"]
