from django.urls import path

from . import views

urlpatterns = [
    path("notices/<int:notice_id>/read/", views.notice_read, name="notice_read"),
    path("<slug:village_code>/search/", views.search, name="search"),
]
