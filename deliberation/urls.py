from django.urls import path

from . import views

urlpatterns = [
    path("", views.matter_list, name="list"),
    path("<int:matter_id>/", views.matter_detail, name="matter"),
    path("<int:matter_id>/vote/", views.vote, name="vote"),
    path("<int:matter_id>/objection/", views.objection, name="objection"),
    path("suggestions/", views.suggestions, name="suggestions"),
]
