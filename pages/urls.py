from django.urls import path

from . import views

urlpatterns = [
    path("notices/<int:notice_id>/read/", views.notice_read, name="notice_read"),
    path("notices/<int:notice_id>/answer/", views.notice_answer, name="notice_answer"),
    path(
        "notices/<int:notice_id>/households/<int:household_id>/answer/",
        views.door_answer,
        name="door_answer",
    ),
    path("<slug:village_code>/search/", views.search, name="search"),
]
