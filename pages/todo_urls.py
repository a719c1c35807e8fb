from django.urls import path

from . import todo_views

urlpatterns = [
    path("", todo_views.todo_home, name="home"),
    path("households/<int:household_id>/", todo_views.household, name="household"),
    path("households/<int:household_id>/told/", todo_views.household_told, name="told"),
]
