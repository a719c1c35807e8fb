"""Helpers of the Wagtail admin tests of the village core (tests/village/test_web_admin_*.py):
whether a response is a refusal, the POST data a browser would send for a form, and the
villager edit page."""

from datetime import date


def refused(response) -> bool:
    """404, 403, or Wagtail's redirect to the dashboard with a permission-denied message."""
    if response.status_code in (403, 404):
        return True
    return response.status_code == 302 and response["Location"].rstrip("/") == "/admin"


def form_data(form) -> dict:
    """POST data reproducing the form's current values, as a browser would submit it."""
    data = {}
    for name in form.fields:
        value = form[name].value()
        if isinstance(value, bool):
            if value:
                data[name] = "on"
            continue
        if value is None:
            value = ""
        elif isinstance(value, date):
            value = value.isoformat()
        elif hasattr(value, "pk"):
            value = value.pk
        data[name] = value
    return data


def edit_villager(client, villager):
    return client.get(f"/admin/villager/edit/{villager.pk}/")
