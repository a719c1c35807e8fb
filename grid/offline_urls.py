"""The grid officer's offline page and the data it keeps on the phone (mounted under grid/)."""

from django.urls import path

from . import offline_views

urlpatterns = [
    path("offline/", offline_views.offline_page, name="offline"),
    path("offline/data.json", offline_views.offline_data, name="offline_data"),
]
