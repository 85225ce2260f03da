"""Every address of the web system."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import path
from django.views.generic import RedirectView

from jixiao_web.api import api
from jixiao_web.views import account, filing, public, review
from jixiao_web.views import library as library_views

handler404 = "jixiao_web.views.common.not_found"
admin.site.site_header = admin.site.site_title = "jixiao 管理"

urlpatterns = [
    path("", filing.home, name="home"),
    path("accounts/login/", account.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/tokens/", account.tokens, name="tokens"),
    path("accounts/tokens/<int:pk>/revoke/", account.token_revoke, name="token-revoke"),
    path("filings/start/", filing.start, name="filing-start"),
    path("filings/upload/", filing.upload, name="filing-upload"),
    path("filings/<int:pk>/", filing.detail, name="filing-detail"),
    path("filings/<int:pk>/edit/", filing.edit, name="filing-edit"),
    path("filings/<int:pk>/check/", filing.check, name="filing-check"),
    path("filings/<int:pk>/submit/", filing.submit, name="filing-submit"),
    path("filings/<int:pk>/head-review/", filing.head_review, name="filing-head-review"),
    path("review/", review.queue, name="queue"),
    path("review/<int:pk>/", review.review, name="review"),
    path("review/<int:pk>/decide/", review.decide, name="review-decide"),
    path("review/<int:pk>/publish/", review.publish, name="review-publish"),
    # library: the indicator library (指标库)
    path("library/", library_views.page, name="library"),
    path("library/suggest/", library_views.suggest, name="library-suggest"),
    path("library/<int:pk>/mark/", library_views.mark, name="library-mark"),
    path("public/", public.index, name="public-index"),
    path("public/<int:year>/open-data.zip", public.open_data, name="public-open-data"),
    path("public/<int:year>/<slug:code>/", public.table, name="public-table"),
    path("public/<int:year>/<slug:code>/download.<str:fmt>", public.download, name="public-download"),
    path("api/", api.urls),
    # The admin signs in through the same throttled, audited page as everyone else.
    path("admin/login/", RedirectView.as_view(pattern_name="login", query_string=True)),
    path("admin/", admin.site.urls),
]
