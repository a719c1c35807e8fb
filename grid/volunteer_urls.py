"""志愿服务 pages, mounted at /grid/activities/ (namespace gridwork:volunteer)."""

from django.urls import path

from . import volunteer_views as views

urlpatterns = [
    path("", views.activity_list, name="list"),
    path("new/", views.activity_new, name="new"),
    path("<int:activity_id>/", views.activity_detail, name="detail"),
    path("<int:activity_id>/signup/", views.activity_signup, name="signup"),
    path("<int:activity_id>/withdraw/", views.activity_withdraw, name="withdraw"),
    path("<int:activity_id>/checkin/", views.activity_checkin, name="checkin"),
    path("<int:activity_id>/close/", views.activity_close, name="close"),
    path("<int:activity_id>/export.xlsx", views.activity_export, name="export"),
    path("code/<str:token>/", views.code_landing, name="code"),
]
