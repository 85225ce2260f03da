"""Every address of the web system."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import path
from django.views.generic import RedirectView

from jixiao_web import ops
from jixiao_web.api import api
from jixiao_web.models import Kind
from jixiao_web.views import account, common, documents, filing, public, review, season, steps
from jixiao_web.views import jobs as job_views
from jixiao_web.views import library as library_views
from jixiao_web.views import monitoring as monitoring_views
from jixiao_web.views import selfeval as selfeval_views

TARGET = {"kind": Kind.TARGET}
SELFEVAL = {"kind": Kind.SELFEVAL}
MONITORING = {"kind": Kind.MONITORING}

handler404 = "jixiao_web.views.common.not_found"
admin.site.site_header = admin.site.site_title = "预算绩效目标管理"

urlpatterns = [
    path("", filing.home, name="home"),
    path("accounts/login/", account.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/tokens/", account.tokens, name="tokens"),
    path("accounts/tokens/<int:pk>/revoke/", account.token_revoke, name="token-revoke"),
    # accounts: the account page, password, sessions, two-factor authentication
    path("accounts/", account.account, name="account"),
    path("accounts/login/verify/", account.login_verify, name="login-verify"),
    path("accounts/password/", account.PasswordChangeView.as_view(), name="password-change"),
    path("accounts/sign-out-everywhere/", account.sign_out_everywhere, name="sign-out-everywhere"),
    path("accounts/session/", account.session_ping, name="session-ping"),
    path("accounts/two-factor/", account.two_factor, name="two-factor"),
    path("accounts/two-factor/disable/", account.two_factor_disable, name="two-factor-disable"),
    path("filings/start/", filing.start, name="filing-start"),
    path("filings/upload/", filing.upload, name="filing-upload"),
    # queue: background jobs (their page, their state as JSON for the page's poller)
    path("jobs/<int:pk>/", job_views.page, name="job"),
    path("jobs/<int:pk>/status/", job_views.status, name="job-status"),
    path("filings/<int:pk>/", filing.detail, name="filing-detail"),
    path("filings/<int:pk>/edit/", filing.edit, name="filing-edit"),
    path("filings/<int:pk>/check/", filing.check, name="filing-check"),
    path("filings/<int:pk>/submit/", steps.submit, TARGET, name="filing-submit"),
    path("filings/<int:pk>/head-review/", filing.head_review, name="filing-head-review"),
    path("filings/<int:pk>/withdraw/", steps.withdraw, TARGET, name="filing-withdraw"),  # editor
    # season: print to sign, contact details, the bureau's progress page and XLSX of a year
    path("filings/<int:pk>/contact/", season.contact, name="filing-contact"),
    path("filings/<int:pk>/print.pdf", season.print_working_copy, name="filing-print"),
    path("filings/<int:pk>/versions/<int:number>/print.pdf", season.print_version, name="version-print"),
    path("review/progress/", season.progress, name="progress"),
    path("review/export.xlsx", season.queue_export, name="queue-export"),
    path("review/", review.queue, name="queue"),
    path("review/<int:pk>/", review.review, name="review"),
    path("review/<int:pk>/decide/", review.decide, name="review-decide"),
    path("review/<int:pk>/publish/", review.publish, name="review-publish"),
    # selfeval: the year-end self-evaluation (绩效自评); its review, decision and publication go
    # through review/<pk>/, review/<pk>/decide/ and review/<pk>/publish/ as a target table's do
    path("review/selfeval/", selfeval_views.rounds, name="selfeval-rounds"),
    path("review/selfeval/export.xlsx", selfeval_views.overview_export, name="selfeval-export"),
    # monitoring: the in-year monitoring round (绩效运行监控)
    path("review/monitoring/", monitoring_views.rounds, name="monitoring-rounds"),
    path("review/monitoring/warnings/", monitoring_views.warnings_overview, name="monitoring-warnings"),
    path(
        "review/monitoring/warnings.xlsx", monitoring_views.warnings_export, name="monitoring-warnings-export"
    ),
    path("monitoring/<int:pk>/", monitoring_views.detail, name="monitoring-detail"),
    path("monitoring/<int:pk>/edit/", monitoring_views.edit, name="monitoring-edit"),
    path("monitoring/<int:pk>/check/", monitoring_views.check, name="monitoring-check"),
    path("monitoring/<int:pk>/submit/", steps.submit, MONITORING, name="monitoring-submit"),
    path("monitoring/<int:pk>/withdraw/", steps.withdraw, MONITORING, name="monitoring-withdraw"),
    path("monitoring/<int:pk>/decide/", monitoring_views.decide, name="monitoring-decide"),
    # monup: a monitoring report's evidence and its workbook, filled offline and uploaded (the same
    # views as a self-evaluation's, the kind a parameter)
    path("monitoring/<int:pk>/evidence/", documents.attach, MONITORING, name="monitoring-evidence"),
    path(
        "monitoring/<int:pk>/evidence/<int:item>/",
        documents.download,
        MONITORING,
        name="monitoring-evidence-download",
    ),
    path(
        "monitoring/<int:pk>/evidence/<int:item>/remove/",
        documents.remove,
        MONITORING,
        name="monitoring-evidence-remove",
    ),
    path("monitoring/<int:pk>/upload/", documents.upload, MONITORING, name="monitoring-upload"),
    path("monitoring/<int:pk>/workbook.xlsx", documents.workbook, MONITORING, name="monitoring-workbook"),
    path("review/<int:pk>/score/", selfeval_views.score_review, name="selfeval-score-review"),
    path("selfeval/<int:pk>/", selfeval_views.detail, name="selfeval-detail"),
    path("selfeval/<int:pk>/edit/", selfeval_views.edit, name="selfeval-edit"),
    path("selfeval/<int:pk>/check/", selfeval_views.check, name="selfeval-check"),
    path("selfeval/<int:pk>/submit/", steps.submit, SELFEVAL, name="selfeval-submit"),
    path("selfeval/<int:pk>/withdraw/", steps.withdraw, SELFEVAL, name="selfeval-withdraw"),
    path("selfeval/<int:pk>/evidence/", documents.attach, SELFEVAL, name="selfeval-evidence"),
    path("selfeval/<int:pk>/upload/", documents.upload, SELFEVAL, name="selfeval-upload"),
    path("selfeval/<int:pk>/workbook.xlsx", documents.workbook, SELFEVAL, name="selfeval-workbook"),
    path(
        "selfeval/<int:pk>/evidence/<int:item>/",
        documents.download,
        SELFEVAL,
        name="selfeval-evidence-download",
    ),
    path(
        "selfeval/<int:pk>/evidence/<int:item>/remove/",
        documents.remove,
        SELFEVAL,
        name="selfeval-evidence-remove",
    ),
    path("public/<int:year>/<slug:code>/selfeval/", selfeval_views.public, name="public-selfeval"),
    path(
        "public/<int:year>/<slug:code>/selfeval/download.<str:fmt>",
        selfeval_views.public_download,
        name="public-selfeval-download",
    ),
    # library: the indicator library (指标库)
    path("library/", library_views.page, name="library"),
    path("library/suggest/", library_views.suggest, name="library-suggest"),
    path("library/<int:pk>/mark/", library_views.mark, name="library-mark"),
    path("library/rebuild/", library_views.rebuild, name="library-rebuild"),  # queue: a job
    path("public/", public.index, name="public-index"),
    path("public/<int:year>/open-data.zip", public.open_data, name="public-open-data"),
    path("public/<int:year>/<slug:code>/", public.table, name="public-table"),
    path("public/<int:year>/<slug:code>/download.<str:fmt>", public.download, name="public-download"),
    path("api/", api.urls),
    # The admin signs in through the same throttled, audited page as everyone else.
    path("admin/login/", RedirectView.as_view(pattern_name="login", query_string=True)),
    path("admin/", admin.site.urls),
    # words: the site's icon at the address browsers ask for by themselves.
    path("favicon.ico", common.favicon, name="favicon"),
    # ops: health and readiness for the load balancer, metrics for the local scraper (answered
    # first by jixiao_web.ops.Observe; listed here so that they have names and a matrix row)
    path("healthz", ops.healthz, name="healthz"),
    path("readyz", ops.readyz, name="readyz"),
    path("metrics", ops.metrics, name="metrics"),
]
