from django.conf import settings
from django.contrib.auth.views import LogoutView
from django.urls import include, path, re_path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from . import extensions, inbox_views, media, party_views, views
from .api import api, not_found

village_patterns = (
    [
        path("", views.home, name="home"),
        path("login/", views.CunzhiLoginView.as_view(), name="login"),
        path("logout/", LogoutView.as_view(), name="logout"),
        path("activate/", views.activate, name="activate"),
        path("me/", views.me, name="me"),
        path("me/proxies/<int:proxy_id>/end/", views.proxy_end, name="proxy_end"),
        path("me/inbox/", inbox_views.inbox, name="inbox"),
        path("me/inbox/<int:delivery_id>/", inbox_views.inbox_open, name="inbox_open"),
        path("me/inbox/preferences/", inbox_views.inbox_preferences, name="inbox_preferences"),
        path("me/push/", inbox_views.push_subscribe, name="push_subscribe"),
        path("text-size/", views.text_size, name="text_size"),
        path("verify/<str:code>/", views.verify, name="verify"),
        # 党员亮身份 (village/party_views.py): the board is public, the rest signed in.
        path("party/", party_views.mine, name="party_mine"),
        path("party/cards/<int:villager_id>/", party_views.card_edit, name="party_card"),
        path("party/commitments/add/", party_views.commitment_add, name="party_commitment_add"),
        path(
            "party/commitments/<int:commitment_id>/",
            party_views.commitment_edit,
            name="party_commitment",
        ),
        path("party/visits/add/", party_views.visit_add, name="party_visit_add"),
        path("party/links/<int:link_id>/end/", party_views.link_end, name="party_link_end"),
        path(
            "party/commitment-sets/<int:set_id>/fulfilment/",
            party_views.fulfilment,
            name="party_fulfilment",
        ),
        path("party/<slug:village_code>/", party_views.board, name="party_board"),
        path("party/<slug:village_code>/manage/", party_views.manage, name="party_manage"),
        path("party/<slug:village_code>/links/add/", party_views.link_add, name="party_link_add"),
    ],
    "village",
)

urlpatterns = [
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("api/v1/", api.urls),
    re_path(r"^api/", not_found),  # not a page of the site: JSON 404, no slash redirect
    path("i18n/", include("django.conf.urls.i18n")),
    path("favicon.ico", views.favicon),
    path("sw.js", inbox_views.service_worker, name="service_worker"),
    path("manifest.webmanifest", inbox_views.manifest, name="manifest"),
    path("", include(village_patterns)),
    *extensions.urlpatterns(),
]

# Every uploaded file, in every setting: public images at once, private files only after the
# permission check (village/media.py). Nothing else serves MEDIA_URL.
urlpatterns += [
    re_path(rf"^{settings.MEDIA_URL.strip('/')}/(?P<name>.+)$", media.serve, name="media"),
]

# A database lock met outside a view answers 503 + Retry-After, not a 500 (village/middleware).
handler500 = "village.middleware.server_error"

# Wagtail serves the village sites below whatever the core does not claim.
urlpatterns += [path("", include(wagtail_urls))]
