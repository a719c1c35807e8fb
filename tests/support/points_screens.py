"""What the points screen tests share: the data a browser sends for a form left as it arrived."""

from html.parser import HTMLParser


class UntouchedForm(HTMLParser):
    """What a browser sends when the form is submitted as it arrived: each input's value and
    each select's selected option (the first when none is marked)."""

    def __init__(self):
        super().__init__()
        self.data, self._select, self._first = {}, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("type") not in ("file", "submit") and "name" in attrs:
            self.data[attrs["name"]] = attrs.get("value") or ""
        elif tag == "select":
            self._select, self._first = attrs["name"], None
        elif tag == "option" and self._select:
            if self._first is None:
                self._first = attrs.get("value", "")
                self.data.setdefault(self._select, self._first)
            if "selected" in attrs:
                self.data[self._select] = attrs.get("value", "")

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
