"""The JSON API (django-ninja), at ``/api/``; its OpenAPI document is ``/api/openapi.json`` and its
docs page ``/api/docs`` (served from the ``ninja`` app's own static files, no CDN).

Who is calling:

- ``Authorization: Bearer <key>``: a per-user API token (:class:`~jixiao_web.models.ApiToken`, made
  on the 「API 令牌」 page).  A header that names no live token (unknown, revoked, expired, or made
  before its user's password last changed) is refused with 401, never read as anonymous.  A
  read-only token is refused (403) on every method but GET/HEAD/OPTIONS.  Token requests need no
  CSRF token.
- otherwise the signed-in session; unsafe methods (``POST``) then need Django's CSRF token
  (``X-CSRFToken`` header or ``csrfmiddlewaretoken`` field).
- otherwise nobody: anonymous callers may read what is published (the portal's rule) but not
  validate files (401).

Every access decision is :mod:`jixiao_web.access`'s; a table the caller may not see is 404, the same
answer as a table that does not exist.  Errors are ``{"code": ..., "detail": "中文说明"}``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from django.contrib.auth.models import AnonymousUser
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Field, File, NinjaAPI, Query, Schema, UploadedFile
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.renderers import JSONRenderer
from ninja.responses import NinjaJSONEncoder
from ninja.security import HttpBearer, SessionAuth
from ninja.utils import check_csrf
from pydantic import ValidationError as PydanticValidationError

from jixiao.model import TargetTable, format_amount
from jixiao_web import exports, selectors, selfeval, services
from jixiao_web.access import Action, restrict
from jixiao_web.models import ApiToken, Filing, Kind, Status, User
from jixiao_web.uploads import TooLarge, TooManyUploads, admit, read_limited, read_upload, reading_slot

#: How often a token's ``last_used_at`` is written (not on every request: reads stay reads).
TOKEN_TOUCH_INTERVAL = timedelta(minutes=1)
#: What a read-only token may call: reading only.
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
#: Largest page of the table list, and the furthest it may start (a larger offset overflowed SQL).
MAX_PAGE = 100
MAX_OFFSET = 1_000_000


# ---------------------------------------------------------------------------------------------
# Errors


class ApiError(HttpError):
    """An error answered as ``{"code", "detail"}``: a stable code and a Chinese message."""

    def __init__(self, status_code: int, code: str, detail: str) -> None:
        super().__init__(status_code, detail)
        self.code = code


NOT_FOUND = "没有这张表，或您无权查看。"


def _not_found() -> ApiError:
    return ApiError(404, "not-found", NOT_FOUND)


class ErrorOut(Schema):
    code: str = Field(
        description="稳定的错误代码，如 not-found、not-authenticated、token-invalid、token-expired、token-read-only"
    )
    detail: str = Field(description="中文说明")


# ---------------------------------------------------------------------------------------------
# JSON: amounts as the canonical decimal strings, Chinese unescaped


class _Encoder(NinjaJSONEncoder):
    def default(self, o: Any) -> Any:
        if isinstance(o, Decimal):  # the only decimals are amounts (万元): never "1E+2"
            return format_amount(o)
        return super().default(o)


class CanonicalJSONRenderer(JSONRenderer):
    encoder_class = _Encoder
    json_dumps_params = {"ensure_ascii": False}  # noqa: RUF012 - ninja's own pattern


# ---------------------------------------------------------------------------------------------
# Authentication


class TokenAuth(HttpBearer):
    """``Authorization: Bearer <key>``: a per-user API token; a wrong or revoked one is 401."""

    def __call__(self, request: HttpRequest) -> Any:
        header = request.headers.get(self.header)
        if header is None:
            return None
        scheme, _, key = header.strip().partition(" ")
        if scheme.lower() != self.openapi_scheme or not key.strip():
            raise ApiError(401, "token-invalid", "Authorization 请求头应为“Bearer 令牌”。")
        return self.authenticate(request, key.strip())

    def authenticate(self, request: HttpRequest, token: str) -> User:
        found = ApiToken.objects.select_related("user").filter(digest=ApiToken.digest_of(token)).first()
        if found is None or not found.user.is_active:
            raise ApiError(401, "token-invalid", "API 令牌无效或已撤销。")
        dead = found.dead_because(found.user)
        if dead:
            raise ApiError(401, "token-expired", f"API 令牌已失效（{dead}），请在“API 令牌”页面创建新令牌。")
        if found.read_only and request.method not in SAFE_METHODS:
            raise ApiError(403, "token-read-only", "这是只读 API 令牌，只能读取，不能调用提交类接口。")
        now = timezone.now()
        if found.last_used_at is None or now - found.last_used_at >= TOKEN_TOUCH_INTERVAL:
            ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
        request.user = found.user
        return found.user


class SessionCsrfAuth(SessionAuth):
    """The signed-in session; an unsafe method must carry Django's CSRF token."""

    def __call__(self, request: HttpRequest) -> Any:
        user = request.user
        if not user.is_authenticated:
            return None
        if check_csrf(request) is not None:  # passes GET/HEAD/OPTIONS, checks POST etc.
            raise ApiError(403, "csrf-failed", "CSRF 校验失败：请在请求中带上 CSRF 令牌，或改用 API 令牌。")
        return user


def anonymous(request: HttpRequest) -> AnonymousUser:
    """Nobody signed in: still let through, as :class:`AnonymousUser` (reads what is published)."""
    return AnonymousUser()


token_auth = TokenAuth()
session_auth = SessionCsrfAuth()
#: Reading: a token, the session, or nobody.  Validating: a token or the session.
READ: list[Callable[[HttpRequest], Any]] = [token_auth, session_auth, anonymous]
SIGNED_IN: list[Callable[[HttpRequest], Any]] = [token_auth, session_auth]


def _caller(request: HttpRequest) -> User | AnonymousUser:
    return request.auth  # type: ignore[attr-defined,no-any-return]


api = NinjaAPI(
    title="jixiao API",
    version="1",
    description=(
        "部门整体预算绩效目标表的 JSON 接口。认证：请求头 `Authorization: Bearer 令牌`（在“API 令牌”页面创建），"
        "或已登录的浏览器会话（POST 须带 CSRF 令牌）。未登录者可读取已发布的表。"
        "金额单位为万元，以字符串记录精确十进制数。出错时返回 `{code, detail}`。"
    ),
    urls_namespace="api",
    auth=READ,
    renderer=CanonicalJSONRenderer(),
)


def _error(request: HttpRequest, status: int, code: str, detail: str, **extra: Any) -> HttpResponse:
    response = api.create_response(request, {"code": code, "detail": detail, **extra}, status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="jixiao"'
    return response


@api.exception_handler(ApiError)
def _api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
    return _error(request, exc.status_code, exc.code, exc.message)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(request, 401, "not-authenticated", "请先登录，或在 Authorization 请求头中提供 API 令牌。")


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return _error(request, exc.status_code, f"http-{exc.status_code}", "请求未能完成。")


@api.exception_handler(Http404)
def _http404(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, 404, "not-found", NOT_FOUND)


@api.exception_handler(OverflowError)
def _overflow(request: HttpRequest, exc: OverflowError) -> HttpResponse:
    """A number too large for the database (harden): the caller's mistake, not the server's."""
    return _error(request, 422, "invalid-request", "请求参数中的数值过大。")


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = [
        {"loc": [str(part) for part in error.get("loc", ())], "type": str(error.get("type", ""))}
        for error in exc.errors
    ]
    where = "、".join(".".join(error["loc"]) for error in errors) or "请求"
    return _error(request, 422, "invalid-request", f"请求参数不正确：{where}。", errors=errors)


# ---------------------------------------------------------------------------------------------
# Schemas


class DepartmentRef(Schema):
    code: str = Field(description="部门代码")
    name: str = Field(description="部门名称")


class TableSummary(Schema):
    """One table in a list."""

    id: int
    year: int = Field(description="年度")
    department: DepartmentRef
    status: Status = Field(description="状态")
    status_label: str = Field(description="状态（中文）")
    revision: int | None = Field(description="工作稿修订号（仅本部门可见，其他人为 null）")
    errors: int | None = Field(description="错误数：本部门为工作稿的，其他人为其可见版本的")
    warnings: int | None = Field(description="警告数：本部门为工作稿的，其他人为其可见版本的")
    published_version: int | None = Field(description="已发布的版本号；未发布为 null")
    published_at: datetime | None = Field(description="发布时间")
    updated_at: datetime | None = Field(description="工作稿最后修改时间（仅本部门可见，其他人为 null）")


class TablePage(Schema):
    count: int = Field(description="符合条件的表总数")
    limit: int
    offset: int
    items: list[TableSummary]


class TableFilter(Schema):
    year: int | None = Field(None, ge=1, le=9999, description="年度")
    status: Status | None = Field(None, description="状态")
    limit: int = Field(50, ge=1, le=MAX_PAGE, description=f"每页条数（至多 {MAX_PAGE}）")
    offset: int = Field(0, ge=0, le=MAX_OFFSET, description=f"跳过的条数（至多 {MAX_OFFSET}）")


class IssueOut(Schema):
    code: str = Field(description="稳定的检查代码（见 RULES.md）")
    severity: Literal["error", "warning", "info"]
    message: str = Field(description="中文说明")
    location: dict[str, str | int] = Field(description="section、row、field、line，没有的键不出现")


class ReportOut(Schema):
    """The library's report, as ``jixiao check --json`` prints it."""

    source: str
    valid: bool = Field(description="没有错误（severity = error）时为 true")
    issues: list[IssueOut]


class TableDetail(TableSummary):
    """One table: the working copy (for those who may see its history) or the published version."""

    source: Literal["working_copy", "latest_version", "published_version"] = Field(
        description=(
            "working_copy = 工作稿（仅本部门）；latest_version = 财政局收到的最新提交版本（财政局）；"
            "published_version = 已发布的版本（公开）"
        )
    )
    table: TargetTable = Field(description="规范 JSON 形式的目标表")
    report: ReportOut = Field(description="jixiao 对该表的检查结果")


class VersionOut(Schema):
    number: int = Field(description="版本号")
    created_at: datetime = Field(description="提交时间")
    created_by: str = Field(description="提交人")
    errors: int
    warnings: int
    published: bool = Field(description="是否为已发布的版本")


class ValidationOut(Schema):
    file_name: str
    readable: bool = Field(description="能否读出目标表；不能时 report 说明原因，table 为 null")
    report: ReportOut
    table: TargetTable | None


# ---------------------------------------------------------------------------------------------
# Endpoints


def _summary(filing: Filing, draft: bool) -> dict[str, Any]:
    """A table's line; ``draft``: the caller may see the working copy (else the version it sees)."""
    version = filing.published_version
    seen = filing.received_version if filing.received_version_id else version
    counts = (
        (filing.errors, filing.warnings)
        if draft
        else (getattr(seen, "errors", None), getattr(seen, "warnings", None))
    )
    return {
        "id": filing.pk,
        "year": filing.year,
        "department": {"code": filing.department.code, "name": filing.department.name},
        "status": filing.status,
        "status_label": filing.get_status_display(),
        "revision": filing.revision if draft else None,
        "errors": counts[0],
        "warnings": counts[1],
        "published_version": version.number if version is not None else None,
        "published_at": filing.published_at,
        "updated_at": filing.updated_at if draft else None,
    }


#: Read endpoints answer anonymous callers too: say so in the OpenAPI document (``{}`` = no auth).
_ANYONE: dict[str, Any] = {"security": [{"TokenAuth": []}, {"SessionCsrfAuth": []}, {}]}


def _visible(
    user: User | AnonymousUser, filing_id: int, action: Action = Action.VIEW, kind: str = Kind.TARGET
) -> Filing:
    """The filing (of ``kind``) if ``user`` may do ``action`` to it; 404 otherwise (no hint that
    it exists)."""
    filing = (
        restrict(user, action)
        .select_related("department", "published_version")
        .filter(pk=filing_id, kind=kind)
        .first()
    )
    if filing is None:
        raise _not_found()
    return filing


@api.get(
    "/tables",
    response={200: TablePage, 401: ErrorOut, 422: ErrorOut},
    tags=["tables"],
    summary="目标表列表",
    openapi_extra=_ANYONE,
    description="调用者可见的目标表（未登录：已发布的表），按年度倒序；可按年度、状态筛选，分页。",
)
def list_tables(request: HttpRequest, filters: Query[TableFilter]) -> dict[str, Any]:
    """The tables the caller may see (anonymous: the published ones), newest year first."""
    user = _caller(request)
    filings = selectors.visible_filings(user, filters.year).select_related("published_version")
    if filters.status is not None:
        filings = filings.filter(status=filters.status)
    page = filings.order_by("-year", "department__code", "pk")
    items = list(
        page.select_related("received_version").defer(
            "data",
            "received_version__data",
            "received_version__report",
            "published_version__data",
            "published_version__report",
        )[filters.offset : filters.offset + filters.limit]
    )
    drafts = set(
        restrict(user, Action.DRAFT, Filing.objects.filter(pk__in=[f.pk for f in items])).values_list(
            "pk", flat=True
        )
    )
    return {
        "count": filings.count(),
        "limit": filters.limit,
        "offset": filters.offset,
        "items": [_summary(filing, filing.pk in drafts) for filing in items],
    }


@api.get(
    "/tables/{filing_id}",
    response={200: TableDetail, 401: ErrorOut, 404: ErrorOut},
    tags=["tables"],
    summary="读取一张目标表",
    openapi_extra=_ANYONE,
    description=(
        "本部门读取工作稿，财政局读取其收到的最新版本，其他人读取已发布的版本；附 jixiao 的检查结果。"
        "无权查看的表与不存在的表一样返回 404。"
    ),
)
def get_table(request: HttpRequest, filing_id: int) -> dict[str, Any]:
    """One table with its findings: the working copy for the department, the latest version it
    received for the finance bureau, the published version for everyone else."""
    user = _caller(request)
    filing = _visible(user, filing_id)
    shown = selectors.shown_table(user, filing)
    if shown is None:
        raise _not_found()
    source = shown.source
    table = TargetTable.model_validate(shown.data)
    # A frozen version's report was made when it was frozen: the page shows the same one.
    report = (
        {**shown.version.report, "source": str(filing)}
        if shown.version is not None
        else services.report_of(table, str(filing), department=filing.department.name).to_dict()
    )
    draft = source == "working_copy"
    return {**_summary(filing, draft), "source": source, "table": table, "report": report}


@api.get(
    "/tables/{filing_id}/versions",
    response={200: list[VersionOut], 401: ErrorOut, 404: ErrorOut},
    tags=["tables"],
    summary="目标表的提交版本",
    openapi_extra=_ANYONE,
    description="各次提交冻结的版本，按版本号排列；仅本部门和财政局可见。",
)
def list_versions(request: HttpRequest, filing_id: int) -> list[dict[str, Any]]:
    """The submitted versions of a table, oldest first (for whoever may see its history)."""
    filing = _visible(_caller(request), filing_id, Action.HISTORY)
    return [
        {
            "number": version.number,
            "created_at": version.created_at,
            "created_by": str(version.created_by),
            "errors": version.errors,
            "warnings": version.warnings,
            "published": version.pk == filing.published_version_id,
        }
        for version in selectors.versions_of(filing, _caller(request))
    ]


_FILE_RESPONSES = {
    "200": {
        "description": "文件",
        "content": {
            mime.split(";")[0]: {"schema": {"type": "string", "format": "binary"}}
            for mime, _ in exports.FORMATS.values()
        },
    }
}


@api.get(
    "/tables/{filing_id}/exports/{fmt}",
    response={401: ErrorOut, 404: ErrorOut},
    tags=["tables"],
    summary="下载已发布的目标表",
    description=f"已发布版本的文件；fmt 为 {'、'.join(exports.FORMATS)} 之一。",
    openapi_extra={**_ANYONE, "responses": _FILE_RESPONSES},
)
def download_export(request: HttpRequest, filing_id: int, fmt: str) -> FileResponse:
    """The published version of a table as a file; ``fmt`` is one of html, xlsx, pdf, docx, json."""
    filing = _visible(_caller(request), filing_id)
    version = filing.published_version
    if version is None:
        raise ApiError(404, "not-published", "这张表尚未发布，没有可下载的文件。")
    if fmt not in exports.FORMATS:
        raise ApiError(404, "format-unknown", f"没有这种下载格式；可选：{'、'.join(exports.FORMATS)}。")
    version.filing = filing  # file_name wants the department, already loaded
    try:
        return exports.file_response(version, fmt)
    except exports.NotReady:  # queue: the worker is making it
        raise ApiError(503, "export-pending", "下载文件正在生成，请稍后再试。") from None


@api.post(
    "/validate",
    auth=SIGNED_IN,
    response={200: ValidationOut, 401: ErrorOut, 403: ErrorOut, 413: ErrorOut, 422: ErrorOut, 429: ErrorOut},
    tags=["validate"],
    summary="检查上传的文件",
    description=(
        "读取并检查一份目标表文件（multipart 字段 file），返回检查结果和读出的表，不保存任何内容。"
        "须登录或使用 API 令牌。读不出目标表时仍返回 200：readable 为 false，检查结果说明原因。"
    ),
)
def validate_file(request: HttpRequest, file: File[UploadedFile]) -> dict[str, Any]:
    """Read and check an uploaded file (any format jixiao reads); nothing is stored.

    Needs a token or a signed-in session (with CSRF).  A file that cannot be read as a table is
    still answered with 200: ``readable`` is false and the report's issue says why.
    """
    name = file.name or "上传文件"
    try:
        data = read_limited(file)
    except TooLarge as error:
        raise ApiError(413, "file-too-large", str(error)) from None
    try:
        admit(_caller(request))  # type: ignore[arg-type]
        with reading_slot(_caller(request)):
            result = read_upload(name, data)
    except TooManyUploads as error:
        raise ApiError(429, "too-many-uploads", str(error)) from None
    return {"file_name": name, "readable": result.readable, "report": result.report, "table": result.table}


# ---------------------------------------------------------------------------------------------
# selfeval: reading, validating and scoring a self-evaluation (绩效自评)


class RowScoreOut(Schema):
    row: int = Field(description="指标行号（与目标表一致）")
    name: str = Field(description="三级指标")
    points: Decimal = Field(description="分值")
    computed: Decimal = Field(description="按公式（定性：按等级）计算的得分")
    entered: Decimal | None = Field(description="部门填写的自评得分")
    score: Decimal = Field(description="部门自评计入的得分")
    reviewed: Decimal | None = Field(description="财政局复核得分；未复核为 null")
    reviewed_reason: str | None = Field(description="复核理由")
    final: Decimal = Field(description="计入总分的得分（有复核时为复核得分）")
    why: str = Field(description="得分的计算过程（中文）")


class ScoresOut(Schema):
    profile: str = Field(description="评分设定名称")
    execution_points: Decimal = Field(description="预算执行率分值")
    execution_rate: Decimal | None = Field(description="预算执行率（%）")
    execution_score: Decimal = Field(description="预算执行率得分")
    rows: list[RowScoreOut]
    department_total: Decimal = Field(description="部门自评总分")
    total: Decimal = Field(description="总分（含复核得分）")
    grade: str = Field(description="等级（按总分）")


class SelfEvalDetail(Schema):
    id: int
    year: int = Field(description="年度")
    department: DepartmentRef
    status: Status = Field(description="状态")
    status_label: str = Field(description="状态（中文）")
    source: Literal["working_copy", "latest_version", "published_version"] = Field(
        description="working_copy = 工作稿（仅本部门）；latest_version = 财政局收到的最新版本；published_version = 已发布的版本"
    )
    version: int | None = Field(description="版本号；工作稿为 null")
    evaluation: dict[str, Any] = Field(description="规范 JSON 形式的自评表（见 jixiao schema）")
    report: ReportOut = Field(description="自评表的检查结果")
    scores: ScoresOut


class SelfEvalCheckOut(Schema):
    report: ReportOut
    scores: ScoresOut


def _scores_out(scored: selfeval.Scored) -> dict[str, Any]:
    execution = scored.scores.execution
    rows = []
    for row in scored.scores.rows:
        review = scored.reviewed.get(row.row)
        rows.append(
            {
                "row": row.row,
                "name": row.name,
                "points": row.points,
                "computed": row.computed,
                "entered": row.entered,
                "score": row.score,
                "reviewed": review.score if review is not None else None,
                "reviewed_reason": review.reason if review is not None else None,
                "final": scored.row_score(row),
                "why": row.why,
            }
        )
    return {
        "profile": scored.profile.name,
        "execution_points": execution.points,
        "execution_rate": execution.rate_percent,
        "execution_score": execution.score,
        "rows": rows,
        "department_total": scored.scores.total,
        "total": scored.total,
        "grade": scored.grade,
    }


@api.get(
    "/selfevals/{filing_id}",
    response={200: SelfEvalDetail, 401: ErrorOut, 404: ErrorOut},
    tags=["selfevals"],
    summary="读取一张自评表",
    openapi_extra=_ANYONE,
    description=(
        "本部门读取工作稿，财政局读取其收到的最新版本，其他人读取已发布的版本；附检查结果和得分"
        "（总分和等级含财政局的复核得分）。无权查看的与不存在的一样返回 404。"
    ),
)
def get_selfeval(request: HttpRequest, filing_id: int) -> dict[str, Any]:
    """One self-evaluation with its findings and scores (as :func:`get_table` chooses the state)."""
    user = _caller(request)
    filing = _visible(user, filing_id, kind=Kind.SELFEVAL)
    shown = selectors.shown_table(user, filing)
    if shown is None:
        raise _not_found()
    version = shown.version
    scored = selfeval.scored_as_shown(filing, version, shown.data)
    report = (
        {**version.report, "source": str(filing)}
        if version is not None
        else {**selfeval.report_for(filing).to_dict(), "source": str(filing)}
    )
    return {
        "id": filing.pk,
        "year": filing.year,
        "department": {"code": filing.department.code, "name": filing.department.name},
        "status": filing.status,
        "status_label": filing.get_status_display(),
        "source": shown.source,
        "version": version.number if version is not None else None,
        "evaluation": shown.data,
        "report": report,
        "scores": _scores_out(scored),
    }


@api.get(
    "/selfevals/{filing_id}/scores",
    response={200: ScoresOut, 401: ErrorOut, 404: ErrorOut},
    tags=["selfevals"],
    summary="自评表的得分",
    openapi_extra=_ANYONE,
    description="每个指标的分值、得分及计算过程，预算执行率得分，总分和等级（含复核得分）；可见范围同“读取一张自评表”。",
)
def score_selfeval(request: HttpRequest, filing_id: int) -> dict[str, Any]:
    """The score breakdown of the state of a self-evaluation the caller may see."""
    user = _caller(request)
    filing = _visible(user, filing_id, kind=Kind.SELFEVAL)
    shown = selectors.shown_table(user, filing)
    if shown is None:
        raise _not_found()
    return _scores_out(selfeval.scored_as_shown(filing, shown.version, shown.data))


@api.post(
    "/selfevals/{filing_id}/check",
    auth=SIGNED_IN,
    response={200: SelfEvalCheckOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    tags=["selfevals"],
    summary="检查并计分一份自评表（不保存）",
    openapi_extra={
        "requestBody": {
            "content": {"application/json": {"schema": {"type": "object"}}},
            "description": "规范 JSON 形式的自评表",
        }
    },
    description=(
        "请求体为规范 JSON 形式的自评表（本部门的，取自批复目标表的部分以已存的为准）；返回检查结果和得分，"
        "不保存任何内容。仅本部门可用。"
    ),
)
def check_selfeval(request: HttpRequest, filing_id: int) -> dict[str, Any]:
    """Validate and score a candidate working copy of the caller's own self-evaluation (the
    request body: its canonical JSON)."""
    filing = _visible(_caller(request), filing_id, Action.DRAFT, kind=Kind.SELFEVAL)
    try:
        body = json.loads(request.body, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(422, "invalid-json", "请求体不是有效的 JSON。") from None
    if not isinstance(body, dict):
        raise ApiError(422, "invalid-selfeval", "请求体应为一张自评表（JSON 对象）。")
    try:
        data = selfeval.merged(filing, body).model_dump(mode="json")
    except PydanticValidationError as error:
        raise ApiError(
            422, "invalid-selfeval", f"自评表的 JSON 无法读取：{error.error_count()} 处不符合格式。"
        ) from None
    report = {**selfeval.report_for(filing, data).to_dict(), "source": str(filing)}
    return {"report": report, "scores": _scores_out(selfeval.scored(filing, data=data))}
