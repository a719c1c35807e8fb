from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("publications/<int:publication_id>/", views.publication, name="publication"),
    path("entries/<int:entry_id>/objection/", views.objection, name="objection"),
    path("record/", views.record, name="record"),
    path("claim/", views.claim, name="claim"),
    path("statement.pdf", views.statement_pdf, name="statement"),
    path("card/<str:token>/", views.card, name="card"),
    path("stars/<int:round_id>/", views.stars, name="stars"),
    path("allocations/<int:allocation_id>/", views.allocation, name="allocation"),
    path(
        "allocations/<int:allocation_id>/objection/",
        views.allocation_objection,
        name="allocation_objection",
    ),
]
