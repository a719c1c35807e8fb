from django.urls import include, path

from . import proposal_views, views

urlpatterns = [
    path("events/", views.event_list, name="events"),
    path("events/new/", views.event_new, name="event_new"),
    path("events/<int:event_id>/", views.event_detail, name="event"),
    path("events/<int:event_id>/accept/", views.event_accept, name="event_accept"),
    path("events/<int:event_id>/handle/", views.event_handle, name="event_handle"),
    path("events/<int:event_id>/confirm/", views.event_confirm, name="event_confirm"),
    path("events/<int:event_id>/reward/", views.event_reward, name="event_reward"),
    path("events/<int:event_id>/link/", views.event_link, name="event_link"),
    path("villages/<int:village_id>/events/", views.event_summary, name="event_summary"),
    path("proposals/", proposal_views.proposals, name="proposals"),
    path(
        "proposals/meetings/<int:meeting_id>/",
        proposal_views.propose_meeting,
        name="propose_meeting",
    ),
    path(
        "proposals/sayings/<int:suggestion_id>/",
        proposal_views.propose_saying,
        name="propose_saying",
    ),
    path("activities/", include(("grid.volunteer_urls", "volunteer"))),
    path("", include("grid.offline_urls")),
]
