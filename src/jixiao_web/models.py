"""The data of the filing season.

A :class:`Filing` is one department's table for one year: its working copy (``data``, the canonical
JSON of :class:`jixiao.model.TargetTable`) changes while it is a draft; every submission freezes a
:class:`Version` that never changes again.  :class:`AuditEntry` rows are the append-only,
hash-chained history (:mod:`jixiao_web.audit`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac


class ImmutableError(RuntimeError):
    """Raised when code tries to change or delete a row that must never change."""


class City(models.Model):
    """The one city this installation serves, and its choices for the filing season."""

    name = models.CharField("城市", max_length=50)
    head_approval_required = models.BooleanField(
        "部门负责人先审核",
        default=False,
        help_text="勾选后，填报人提交的表须经本部门负责人审核，才送到财政局。",
    )
    bureau_two_factor_required = models.BooleanField(
        "财政局角色须使用两步验证",
        default=False,
        help_text="勾选后，财政审核人和管理员须先设置两步验证（手机验证器应用中的动态验证码），才能使用系统。",
    )

    class Meta:
        verbose_name = verbose_name_plural = "城市设置"

    def __str__(self) -> str:
        return self.name

    @classmethod
    def current(cls) -> City:
        """The city's settings: read once per request (``ops.Observe`` opens the request's scope),
        else every time."""
        scope = _REQUEST_SCOPE.get()
        if scope is None:
            return cls._load()
        city = scope.get("city")
        if not isinstance(city, City):
            city = scope["city"] = cls._load()
        return city

    @classmethod
    def _load(cls) -> City:
        return cls.objects.order_by("pk").first() or cls.objects.create(name="本市")


#: What one request reads once (the city's settings): a dict while a request is handled, else None.
_REQUEST_SCOPE: ContextVar[dict[str, object] | None] = ContextVar("jixiao_request_scope", default=None)


@contextmanager
def request_scope() -> Iterator[None]:
    """Within it, :meth:`City.current` reads the database once."""
    token = _REQUEST_SCOPE.set({})
    try:
        yield
    finally:
        _REQUEST_SCOPE.reset(token)


class Department(models.Model):
    """A budget department, or the finance bureau itself (``is_finance_bureau``)."""

    name = models.CharField("部门名称", max_length=100, unique=True)
    code = models.SlugField("部门代码", max_length=40, unique=True, help_text="用于公开网址，如 yingji")
    competent_department = models.CharField("资金主管部门", max_length=100, blank=True)
    is_finance_bureau = models.BooleanField("财政局", default=False)

    class Meta:
        ordering: ClassVar = ["is_finance_bureau", "code"]
        verbose_name = verbose_name_plural = "部门"

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    FILER = "filer", "填报人"
    HEAD = "head", "部门负责人"
    REVIEWER = "reviewer", "财政审核人"
    ADMIN = "admin", "管理员"


class JixiaoUserManager(UserManager["User"]):
    def create_superuser(
        self, username: str, email: str | None = None, password: str | None = None, **extra: Any
    ) -> User:
        """``jixiao manage createsuperuser``: the first 管理员 of a new installation."""
        extra.setdefault("role", Role.ADMIN)
        return super().create_superuser(username, email, password, **extra)


class User(AbstractUser):
    """A person: belongs to a department or to the finance bureau, with one role."""

    objects: ClassVar[JixiaoUserManager] = JixiaoUserManager()

    department = models.ForeignKey(
        Department, models.PROTECT, null=True, blank=True, related_name="users", verbose_name="所属部门"
    )
    role = models.CharField("角色", max_length=10, choices=Role.choices, default=Role.FILER)
    full_name = models.CharField("姓名", max_length=50, blank=True)
    # --- accounts: forced password change, token and session invalidation
    must_change_password = models.BooleanField(
        "须修改密码", default=False, help_text="下次登录时须先修改密码（管理员设置密码后自动勾选）。"
    )
    #: When the password last changed after the account was made (None: still the first one).
    #: API tokens made before it are dead.
    password_changed_at = models.DateTimeField("密码修改时间", null=True, blank=True, editable=False)
    #: Bumped by 「退出所有设备」: every session signed in before it no longer verifies.
    session_generation = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = verbose_name_plural = "用户"

    def __str__(self) -> str:
        return self.full_name or self.username

    def save(self, *args: Any, **kwargs: Any) -> None:
        # ``set_password`` (the user's own change, the admin's, ``manage changepassword``) leaves
        # the raw password in ``_password`` until saved: stamp the change then, whatever the path.
        if getattr(self, "_password", None) is not None and not self._state.adding:
            self.password_changed_at = timezone.now()
            update_fields = kwargs.get("update_fields")
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "password_changed_at"}
        super().save(*args, **kwargs)

    def _get_session_auth_hash(self, secret: str | None = None) -> str:
        """Django's session check (an HMAC of the password hash), also keyed with the session
        generation, so that 「退出所有设备」 ends every session; generation 0 keeps Django's own."""
        if not self.session_generation:
            return super()._get_session_auth_hash(secret=secret)  # type: ignore[misc,no-any-return]
        key_salt = "jixiao_web.User.session_auth_hash"
        value = f"{self.password}\n{self.session_generation}"
        return salted_hmac(key_salt, value, secret=secret, algorithm="sha256").hexdigest()


class FilingYear(models.Model):
    """A budget year being filed, with its deadline."""

    year = models.PositiveIntegerField("年度", unique=True)
    deadline = models.DateTimeField("提交截止时间")
    is_open = models.BooleanField("开放填报", default=True)

    class Meta:
        ordering: ClassVar = ["-year"]
        verbose_name = verbose_name_plural = "填报年度"

    def __str__(self) -> str:
        return f"{self.year}年度"


class Status(models.TextChoices):
    DRAFT = "draft", "草稿"
    HEAD_REVIEW = "head_review", "待部门负责人审核"
    SUBMITTED = "submitted", "已提交"
    RETURNED = "returned", "退回修改"
    APPROVED = "approved", "已审核"
    PUBLISHED = "published", "已发布"
    #: monitoring: the finance bureau took the monitoring report as filed (nothing is published).
    ACCEPTED = "accepted", "已确认"


class Grade(models.TextChoices):
    """The reviewer's grade (shared/DOMAIN.md, 88号): 优 goes ahead, 良 is completed together with
    the finance bureau, 中 is sent back for revision, 差 gets no budget."""

    EXCELLENT = "优", "优：目标完整、相关、适当、可行，按申报安排预算"
    GOOD = "良", "良：基本合理，与财政局共同完善后安排预算"
    FAIR = "中", "中：退回修改后重新审核"
    POOR = "差", "差：不予安排预算"


class Kind(models.TextChoices):
    """The kind of a filed document: each has its workflow (:mod:`jixiao_web.workflow`)."""

    TARGET = "target", "目标表"
    SELFEVAL = "selfeval", "自评表"
    MONITORING = "monitoring", "监控表"


class Filing(models.Model):
    """One department's document of one kind for one year: its 部门整体预算绩效目标表 (``data`` the
    canonical JSON of :class:`jixiao.model.TargetTable`), or its 部门整体支出绩效自评表 (the canonical
    JSON of :class:`jixiao.model.selfeval.SelfEvaluation`, made from the approved target table)."""

    department = models.ForeignKey(Department, models.PROTECT, related_name="filings", verbose_name="部门")
    year = models.PositiveIntegerField("年度")
    kind = models.CharField("类别", max_length=10, choices=Kind.choices, default=Kind.TARGET)
    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.DRAFT)
    data = models.JSONField("目标表", default=dict)
    #: Bumped on every save of ``data``; a save naming an older revision is a conflict.
    revision = models.PositiveIntegerField("修订号", default=1)
    errors = models.PositiveIntegerField("错误数", default=0)
    warnings = models.PositiveIntegerField("警告数", default=0)
    grade = models.CharField("审核等级", max_length=1, choices=Grade.choices, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    #: When the working copy last changed (set by the services; a status change is not an edit).
    updated_at = models.DateTimeField("修改时间", default=timezone.now)
    updated_by = models.ForeignKey(
        User, models.PROTECT, null=True, related_name="+", verbose_name="最后修改人"
    )
    submitted_by = models.ForeignKey(
        User, models.PROTECT, null=True, blank=True, related_name="+", verbose_name="提交人"
    )
    #: The last version the finance bureau received (directly, or passed on by the 部门负责人).
    received_version = models.ForeignKey(
        "Version", models.PROTECT, null=True, blank=True, related_name="+", verbose_name="财政局收到的版本"
    )
    published_version = models.ForeignKey(
        "Version", models.PROTECT, null=True, blank=True, related_name="+", verbose_name="发布版本"
    )
    published_at = models.DateTimeField("发布时间", null=True, blank=True)
    #: review: a stable key per task and indicator row (``{"tasks": [...], "indicators": [...]}``,
    #: beside ``data`` so the canonical JSON keeps its schema), for comments that follow their row.
    row_keys = models.JSONField("行标识", default=dict, blank=True)
    # --- season: who signs the printed table and whom to call (set by the department) ---
    contact_head = models.CharField("单位负责人", max_length=50, blank=True)
    contact_filer = models.CharField("填报人", max_length=50, blank=True)
    contact_phone = models.CharField("联系电话", max_length=30, blank=True)
    filled_on = models.DateField("填报日期", null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-year", "department__code"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["department", "year", "kind"], name="one_filing_per_department_year_kind"
            )
        ]
        verbose_name = verbose_name_plural = "目标表"

    def __str__(self) -> str:
        if self.kind == Kind.SELFEVAL:
            return f"{self.department.name} {self.year}年度自评表"
        if self.kind == Kind.MONITORING:
            return f"{self.department.name} {self.year}年度运行监控表"
        return f"{self.department.name} {self.year}年度"


class _Immutable(models.Model):
    """Rows written once: no update, no delete through the ORM."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ImmutableError(f"{self._meta.verbose_name}一经写入不可修改")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ImmutableError(f"{self._meta.verbose_name}不可删除")


class Version(_Immutable):
    """A submitted (or approved, or published) state of a filing, frozen."""

    filing = models.ForeignKey(Filing, models.PROTECT, related_name="versions", verbose_name="目标表")
    number = models.PositiveIntegerField("版本号")
    data = models.JSONField("目标表")
    report = models.JSONField("校验结果")
    errors = models.PositiveIntegerField("错误数", default=0)
    warnings = models.PositiveIntegerField("警告数", default=0)
    created_by = models.ForeignKey(User, models.PROTECT, related_name="+", verbose_name="提交人")
    created_at = models.DateTimeField("提交时间", auto_now_add=True)
    #: review: the working copy's row keys when it was frozen (see ``Filing.row_keys``).
    row_keys = models.JSONField("行标识", default=dict, blank=True)

    class Meta:
        ordering: ClassVar = ["filing", "number"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["filing", "number"], name="one_version_number_per_filing")
        ]
        verbose_name = verbose_name_plural = "提交版本"

    def __str__(self) -> str:
        return f"{self.filing} 第{self.number}版"


class Received(_Immutable):
    """The finance bureau received a version (submitted to it, or passed on by the head)."""

    version = models.OneToOneField(Version, models.PROTECT, related_name="received", verbose_name="版本")
    at = models.DateTimeField("收到时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "财政局收到的版本"


class Comment(_Immutable):
    """A reviewer's (or head's) comment on a section or row of a submitted version."""

    filing = models.ForeignKey(Filing, models.PROTECT, related_name="comments", verbose_name="目标表")
    version = models.ForeignKey(Version, models.PROTECT, related_name="comments", verbose_name="版本")
    section = models.CharField("部分", max_length=20)
    row = models.PositiveIntegerField("行", null=True, blank=True)
    #: review: the row's key (``Version.row_keys``): the comment follows its row when rows move.
    row_key = models.CharField("行标识", max_length=32, blank=True)
    text = models.TextField("意见", max_length=2000)
    author = models.ForeignKey(User, models.PROTECT, related_name="+", verbose_name="提出人")
    created_at = models.DateTimeField("时间", auto_now_add=True)

    class Meta:
        ordering: ClassVar = ["created_at", "pk"]
        verbose_name = verbose_name_plural = "审核意见"


class CommentReply(_Immutable):
    """The department's answer to a comment: words, and whether the row was changed (已修改).

    Written while the table is being revised; the finance bureau reads those written before the
    version it received.  A later reply to the same comment supersedes the earlier one.
    """

    filing = models.ForeignKey(Filing, models.PROTECT, related_name="+", verbose_name="目标表")
    comment = models.ForeignKey(Comment, models.PROTECT, related_name="replies", verbose_name="审核意见")
    text = models.TextField("回复", max_length=2000, blank=True)
    fixed = models.BooleanField("已修改", default=False)
    author = models.ForeignKey(User, models.PROTECT, related_name="+", verbose_name="回复人")
    created_at = models.DateTimeField("时间", auto_now_add=True)

    class Meta:
        ordering: ClassVar = ["created_at", "pk"]
        verbose_name = verbose_name_plural = "意见回复"


class StockPhrase(models.Model):
    """常用审核意见: a phrase the finance bureau keeps for its reviewers to insert into a comment."""

    text = models.CharField("意见", max_length=300)
    order = models.PositiveSmallIntegerField("排序", default=0, help_text="数字小的排在前面")

    class Meta:
        ordering: ClassVar = ["order", "pk"]
        verbose_name = verbose_name_plural = "常用审核意见"

    def __str__(self) -> str:
        return self.text


class Export(_Immutable):
    """A published version rendered to one format, once, and kept in storage."""

    version = models.ForeignKey(Version, models.PROTECT, related_name="exports", verbose_name="版本")
    format = models.CharField("格式", max_length=5)
    file = models.FileField("文件", upload_to="exports/%Y/")
    sha256 = models.CharField("SHA-256 摘要", max_length=64)
    size = models.PositiveIntegerField("大小（字节）")
    created_at = models.DateTimeField("生成时间", auto_now_add=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["version", "format"], name="one_export_per_version_format")
        ]
        verbose_name = verbose_name_plural = "导出文件"


class AuditAction(models.TextChoices):
    """What an audit entry records (stored values are stable: existing chains hold them)."""

    START = "start", "创建"
    SAVE = "save", "保存"
    SUBMIT = "submit", "提交"
    SUBMIT_TO_HEAD = "submit_to_head", "提交部门负责人审核"
    HEAD_APPROVE = "head_approve", "部门负责人审核通过"
    HEAD_RETURN = "head_return", "部门负责人退回"
    RETURN = "return", "财政局退回修改"
    APPROVE = "approve", "财政局审核通过"
    PUBLISH = "publish", "发布"
    EXPORT = "export", "生成下载文件"
    LOGIN = "login", "登录"
    LOGOUT = "logout", "退出"
    TOKEN_CREATE = "token_create", "创建 API 令牌"
    TOKEN_REVOKE = "token_revoke", "撤销 API 令牌"
    ADMIN_ADD = "admin_add", "管理：新增"
    ADMIN_CHANGE = "admin_change", "管理：修改"
    ADMIN_DELETE = "admin_delete", "管理：删除"
    LOGIN_FAILED = "login_failed", "登录失败"
    PASSWORD_CHANGE = "password_change", "修改密码"
    PASSWORD_CHANGE_REQUIRED = "password_change_required", "要求修改密码"
    SIGN_OUT_EVERYWHERE = "sign_out_everywhere", "退出所有设备"
    TWO_FACTOR_ENABLE = "two_factor_enable", "启用两步验证"
    TWO_FACTOR_DISABLE = "two_factor_disable", "停用两步验证"
    WITHDRAW = "withdraw", "撤回提交"
    WITHDRAW_FROM_HEAD = "withdraw_from_head", "撤回提交（部门负责人审核前）"
    REVIEW_OPEN = "review_open", "财政局开始审核"
    REPLY = "reply", "回复审核意见"
    CONTACT = "contact", "修改签章联系信息"
    LIBRARY_MARK = "library_mark", "标记指标库中的指标"
    LIBRARY_REBUILD = "library_rebuild", "重建指标库"
    # --- selfeval: the year-end self-evaluation round
    SELFEVAL_OPEN = "selfeval_open", "开启绩效自评"
    SELFEVAL_START = "selfeval_start", "生成自评表"
    SCORE_REVIEW = "score_review", "财政局复核得分"
    EVIDENCE_ADD = "evidence_add", "上传佐证材料"
    #: monup: the department removed an evidence file from its working copy (kept where a submitted
    #: version holds it).
    EVIDENCE_REMOVE = "evidence_remove", "删除佐证材料"
    # --- monitoring: the in-year monitoring round
    MONITORING_OPEN = "monitoring_open", "开启绩效运行监控"
    MONITORING_START = "monitoring_start", "生成运行监控表"
    ACCEPT = "accept", "财政局确认监控表"

    @classmethod
    def label_of(cls, value: str) -> str:
        """The Chinese name of a stored action ("操作" for one this code does not know)."""
        return _ACTION_LABELS.get(value, "操作")


#: Each action's Chinese name, by its stored value.
_ACTION_LABELS: dict[str, str] = {str(action.value): str(action.label) for action in AuditAction}


class AuditEntry(_Immutable):
    """One action, chained to the one before by ``previous_hash`` (see :mod:`jixiao_web.audit`)."""

    seq = models.PositiveBigIntegerField("序号", unique=True)
    at = models.DateTimeField("时间")
    actor = models.ForeignKey(User, models.PROTECT, null=True, related_name="+", verbose_name="操作人")
    actor_name = models.CharField("操作人", max_length=150, blank=True)
    address = models.GenericIPAddressField("来源地址", null=True, blank=True)
    action = models.CharField("操作", max_length=40)
    filing = models.ForeignKey(
        Filing, models.PROTECT, null=True, blank=True, related_name="audit", verbose_name="目标表"
    )
    target = models.CharField("对象", max_length=200, blank=True)
    before = models.JSONField("修改前", null=True, blank=True)
    after = models.JSONField("修改后", null=True, blank=True)
    previous_hash = models.CharField("上一条的链值", max_length=64)
    hash = models.CharField("本条链值", max_length=64, unique=True)

    class Meta:
        ordering: ClassVar = ["seq"]
        verbose_name = verbose_name_plural = "操作记录"

    def __str__(self) -> str:
        return f"第{self.seq}条操作记录"


class AuditHead(models.Model):
    """The end of the chain, locked while an entry is appended so that appends are serial."""

    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64)
    #: Which key chains the entries (a fingerprint, not the key): a verify with another data
    #: dir's key says so instead of calling every entry altered.
    key_id = models.CharField(max_length=16, blank=True)
    #: HMAC of (seq, hash) with the audit key: rewinding the head to an earlier entry needs the key.
    mac = models.CharField(max_length=64, blank=True)


#: How long a new API token lives unless its maker chooses otherwise (the choices: ``TOKEN_DAYS``).
TOKEN_DEFAULT_DAYS = 90
TOKEN_DAYS = (30, 90, 180, 365)


def default_token_expiry() -> datetime:
    return timezone.now() + timedelta(days=TOKEN_DEFAULT_DAYS)


class ApiToken(models.Model):
    """A per-user API token; only its SHA-256 is kept."""

    user = models.ForeignKey(User, models.CASCADE, related_name="api_tokens", verbose_name="用户")
    name = models.CharField("用途", max_length=100)
    digest = models.CharField("令牌摘要", max_length=64, unique=True)
    prefix = models.CharField("前缀", max_length=8)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    last_used_at = models.DateTimeField("最近使用时间", null=True, blank=True)
    # --- accounts: expiry and read-only tokens
    expires_at = models.DateTimeField("有效期至", default=default_token_expiry)
    read_only = models.BooleanField("只读", default=False)

    class Meta:
        verbose_name = verbose_name_plural = "API 令牌"

    @staticmethod
    def digest_of(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    def dead_because(self, user: User | None = None) -> str:
        """Why the token no longer works (Chinese), or "" while it does.  ``user``: the token's
        user, already loaded."""
        user = user or self.user
        if not user.is_active:
            return "用户已停用"
        if user.password_changed_at is not None and self.created_at <= user.password_changed_at:
            return "创建后密码已修改"
        if self.expires_at <= timezone.now():
            return "已过期"
        return ""


class LoginFailure(models.Model):
    """A failed log-in, for throttling (see ``views.account``)."""

    username = models.CharField(max_length=150)
    address = models.GenericIPAddressField(null=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        indexes: ClassVar = [models.Index(fields=["username", "at"]), models.Index(fields=["address", "at"])]


class UploadAttempt(models.Model):
    """A file read for someone (a preview or an API validation), for the per-user rate limit."""

    user = models.ForeignKey(User, models.CASCADE, related_name="+")
    at = models.DateTimeField(auto_now_add=True, db_index=True)


# --- editor: withdrawing a submission the finance bureau has not opened yet --------------------


class Opened(_Immutable):
    """A finance bureau reviewer opened the review page of a received version, for the first time:
    from then on the department can no longer withdraw it."""

    version = models.OneToOneField(Version, models.PROTECT, related_name="opened", verbose_name="版本")
    by = models.ForeignKey(User, models.PROTECT, related_name="+", verbose_name="审核人")
    at = models.DateTimeField("打开时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "财政局已打开的版本"


class Withdrawal(_Immutable):
    """The department withdrew a submitted version before anyone reviewed it; the filing went back
    to 草稿 and the version no longer counts as received."""

    version = models.OneToOneField(Version, models.PROTECT, related_name="withdrawal", verbose_name="版本")
    by = models.ForeignKey(User, models.PROTECT, related_name="+", verbose_name="撤回人")
    at = models.DateTimeField("撤回时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "撤回的版本"


# --- library: the indicator library (指标库) ---------------------------------------------------


class LibraryMark(models.TextChoices):
    """The finance bureau's word on an indicator of the library."""

    NONE = "", "未标记"
    RECOMMENDED = "recommended", "推荐"
    DISCOURAGED = "discouraged", "不建议"


class LibraryEntry(models.Model):
    """One 三级指标 of the library: the city's approved tables' uses of it summed up, or a common
    indicator of the frameworks (``common``), and the bureau's mark.

    Rebuilt from :class:`LibraryUse` by :mod:`jixiao_web.library`; only the mark is set by hand.
    """

    key = models.CharField("规范名称", max_length=200)
    level1 = models.CharField("一级指标", max_length=30)
    level2 = models.CharField("二级指标", max_length=40)
    name = models.CharField("三级指标", max_length=200)
    common = models.BooleanField("指标体系常用指标", default=False)
    usage = models.PositiveIntegerField("使用次数", default=0)
    department_count = models.PositiveIntegerField("使用部门数", default=0)
    #: Names of the departments using it, most frequent first.
    departments = models.JSONField("使用部门", default=list)
    first_year = models.PositiveIntegerField("最早年度", null=True, blank=True)
    last_year = models.PositiveIntegerField("最近年度", null=True, blank=True)
    units = models.JSONField("计量单位（次数）", default=dict)
    comparators = models.JSONField("对比符号（次数）", default=dict)
    #: unit → {"count", "low", "median", "high"} of the numeric values (decimal text).
    ranges = models.JSONField("指标值范围", default=dict)
    unit = models.CharField("常用计量单位", max_length=40, blank=True)
    comparator = models.CharField("常用对比符号", max_length=10, blank=True)
    value = models.CharField("典型指标值", max_length=100, blank=True)
    #: The value is the framework's suggestion (建议值), not a figure of the city's tables.
    value_is_suggestion = models.BooleanField("建议值", default=False)
    mark = models.CharField("标记", max_length=12, choices=LibraryMark.choices, blank=True, default="")
    note = models.CharField("说明", max_length=200, blank=True)
    marked_by = models.ForeignKey(
        User, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name="标记人"
    )
    marked_at = models.DateTimeField("标记时间", null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-usage", "level1", "level2", "key"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["level1", "level2", "key"], name="one_library_entry_per_level_key"
            )
        ]
        verbose_name = verbose_name_plural = "指标库"

    def __str__(self) -> str:
        return f"{self.level2}·{self.name}"


class LibraryUse(models.Model):
    """One indicator row of an approved or published version, as counted in the library."""

    entry = models.ForeignKey(LibraryEntry, models.CASCADE, related_name="uses")
    #: Indexed (a filing's uses are replaced when it is counted again); the department is not.
    filing = models.ForeignKey(Filing, models.CASCADE, related_name="+")
    department = models.ForeignKey(Department, models.CASCADE, related_name="+", db_index=False)
    year = models.PositiveIntegerField()
    name = models.CharField(max_length=200)
    unit = models.CharField(max_length=40, blank=True)
    comparator = models.CharField(max_length=20, blank=True)
    value = models.CharField(max_length=100, blank=True)


class LibraryState(models.Model):
    """One row: a token that changes whenever the library does (workers reload their index)."""

    token = models.CharField(max_length=32)
    built_at = models.DateTimeField(null=True)


# --- selfeval: the year-end self-evaluation round (绩效自评) ----------------------------------


class SelfEvalRound(models.Model):
    """The finance bureau opened a year's self-evaluation: the profile it is scored by (the
    canonical JSON of :class:`jixiao.profile.Profile`) and the deadline."""

    year = models.PositiveIntegerField("年度", unique=True)
    profile = models.JSONField("评分设定")
    deadline = models.DateTimeField("提交截止时间")
    opened_by = models.ForeignKey(User, models.PROTECT, related_name="+", verbose_name="开启人")
    opened_at = models.DateTimeField("开启时间", auto_now_add=True)

    class Meta:
        ordering: ClassVar = ["-year"]
        verbose_name = verbose_name_plural = "绩效自评"

    def __str__(self) -> str:
        return f"{self.year}年度绩效自评"


class ScoreReview(_Immutable):
    """复核: the finance bureau's score for one indicator row of a received self-evaluation
    version, with its written reason; the latest per (version, row) counts, and the department's
    own score stays beside it."""

    filing = models.ForeignKey(Filing, models.PROTECT, related_name="score_reviews", verbose_name="自评表")
    version = models.ForeignKey(Version, models.PROTECT, related_name="score_reviews", verbose_name="版本")
    row = models.PositiveIntegerField("指标行")
    score = models.DecimalField("复核得分", max_digits=6, decimal_places=2)
    reason = models.TextField("复核理由", max_length=2000)
    author = models.ForeignKey(User, models.PROTECT, related_name="+", verbose_name="复核人")
    created_at = models.DateTimeField("时间", auto_now_add=True)

    class Meta:
        ordering: ClassVar = ["created_at", "pk"]
        verbose_name = verbose_name_plural = "复核得分"


class Evidence(_Immutable):
    """佐证材料: a file the department attached to its self-evaluation or monitoring report, stored
    with its digest.  The working copy's files are those not removed (:class:`EvidenceRemoval`); a
    submitted version's are those it froze (:class:`VersionEvidence`)."""

    filing = models.ForeignKey(Filing, models.PROTECT, related_name="evidence", verbose_name="文件所属")
    name = models.CharField("文件名", max_length=200)
    file = models.FileField("文件", upload_to="evidence/%Y/")
    kind = models.CharField("类型", max_length=10)
    sha256 = models.CharField("SHA-256 摘要", max_length=64)
    size = models.PositiveIntegerField("大小（字节）")
    uploaded_by = models.ForeignKey(User, models.PROTECT, related_name="+", verbose_name="上传人")
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)

    class Meta:
        ordering: ClassVar = ["uploaded_at", "pk"]
        verbose_name = verbose_name_plural = "佐证材料"


class EvidenceRemoval(_Immutable):
    """monup: an evidence file taken off the working copy by the department (while it may edit).
    A version that froze it still shows it; a file no version holds is deleted from storage."""

    evidence = models.OneToOneField(Evidence, models.PROTECT, related_name="removal", verbose_name="佐证材料")
    by = models.ForeignKey(User, models.PROTECT, related_name="+", verbose_name="删除人")
    at = models.DateTimeField("删除时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "删除的佐证材料"


class VersionEvidence(_Immutable):
    """monup: an evidence file as part of a submitted version (frozen with it)."""

    version = models.ForeignKey(Version, models.PROTECT, related_name="evidence", verbose_name="版本")
    evidence = models.ForeignKey(Evidence, models.PROTECT, related_name="versions", verbose_name="佐证材料")

    class Meta:
        ordering: ClassVar = ["version", "evidence"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["version", "evidence"], name="one_evidence_per_version")
        ]
        verbose_name = verbose_name_plural = "版本的佐证材料"


# --- monitoring: the in-year monitoring round (绩效运行监控) -----------------------------------


class MonitoringRound(models.Model):
    """The finance bureau opened a year's monitoring as of the end of ``month``: the profile its
    warnings are judged by (the canonical JSON of :class:`jixiao.profile.Profile`) and the deadline."""

    year = models.PositiveIntegerField("年度", unique=True)
    month = models.PositiveSmallIntegerField("监控截至月份")
    profile = models.JSONField("监控设定")
    deadline = models.DateTimeField("提交截止时间")
    opened_by = models.ForeignKey(User, models.PROTECT, related_name="+", verbose_name="开启人")
    opened_at = models.DateTimeField("开启时间", auto_now_add=True)

    class Meta:
        ordering: ClassVar = ["-year"]
        verbose_name = verbose_name_plural = "绩效运行监控"

    def __str__(self) -> str:
        return f"{self.year}年度绩效运行监控（截至{self.month}月）"


# --- reminders: deadlines and e-mail reminders ----------------------------------------------------


class MailReason(models.TextChoices):
    DUE = "due", "截止提醒"
    RETURNED = "returned", "退回通知"


class MailStatus(models.TextChoices):
    PENDING = "pending", "待发送"
    SENT = "sent", "已发送"
    FAILED = "failed", "发送失败"


class Reminder(models.Model):
    """One e-mail to one person about one document (:mod:`jixiao_web.reminders`): written once per
    (reason, document, person, occasion), so a sweep run again sends nothing twice; sent by the
    background worker, which records each attempt here."""

    reason = models.CharField("类别", max_length=10, choices=MailReason.choices)
    kind = models.CharField("文件类别", max_length=10, choices=Kind.choices)
    year = models.PositiveIntegerField("年度")
    department = models.ForeignKey(Department, models.CASCADE, related_name="+", verbose_name="部门")
    filing = models.ForeignKey(
        Filing, models.CASCADE, null=True, blank=True, related_name="reminders", verbose_name="文件"
    )
    recipient = models.ForeignKey(User, models.CASCADE, related_name="reminders", verbose_name="收件人")
    #: The occasion: the deadline (ISO text) of a due reminder, the returned version's number.
    occasion = models.CharField("事由", max_length=40)
    address = models.EmailField("邮箱")
    subject = models.CharField("主题", max_length=200)
    body = models.TextField("正文")
    status = models.CharField("状态", max_length=10, choices=MailStatus.choices, default=MailStatus.PENDING)
    attempts = models.PositiveSmallIntegerField("发送次数", default=0)
    last_error = models.TextField("最近一次错误", blank=True)
    created_at = models.DateTimeField("生成时间", auto_now_add=True)
    sent_at = models.DateTimeField("发送时间", null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-created_at", "pk"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["reason", "kind", "year", "department", "recipient", "occasion"],
                name="one_reminder_per_occasion",
            )
        ]
        verbose_name = verbose_name_plural = "邮件提醒"

    def __str__(self) -> str:
        return f"{self.get_reason_display()}：{self.subject} → {self.address}"


# --- queue: background work a person waits for, and the workers' leases ----------------------------


class JobKind(models.TextChoices):
    """What a background job does (:mod:`jixiao_web.jobs`)."""

    RENDER = "render", "生成下载文件"
    READ_TABLE = "read_table", "读取目标表文件"
    READ_DOCUMENT = "read_document", "读取填好的工作簿"
    EVIDENCE = "evidence", "检查并保存佐证材料"
    OPEN_DATA = "open_data", "生成开放数据"
    LIBRARY = "library", "重建指标库"


class JobState(models.TextChoices):
    """Where a job stands, as the person who started it reads it."""

    QUEUED = "queued", "排队中"
    RUNNING = "running", "处理中"
    DONE = "done", "已完成"
    RETRYING = "retrying", "失败，将重试"
    FAILED = "failed", "失败"


class Job(models.Model):
    """One piece of background work somebody started (an upload read, downloads rendered, …): its
    input (a stored file, parameters), its state and attempts, and its result (JSON) or error."""

    kind = models.CharField("类别", max_length=20, choices=JobKind.choices)
    state = models.CharField("状态", max_length=10, choices=JobState.choices, default=JobState.QUEUED)
    user = models.ForeignKey(
        User, models.CASCADE, null=True, blank=True, related_name="jobs", verbose_name="发起人"
    )
    filing = models.ForeignKey(
        Filing, models.CASCADE, null=True, blank=True, related_name="jobs", verbose_name="文件"
    )
    #: The address the person worked from (recorded in the audit chain by what the job does).
    address = models.GenericIPAddressField("来源地址", null=True, blank=True)
    params = models.JSONField("参数", default=dict, blank=True)
    #: The uploaded file, kept in storage until the job is done (then deleted).
    input_name = models.CharField("上传文件名", max_length=200, blank=True)
    input_file = models.CharField("暂存文件", max_length=300, blank=True)
    result = models.JSONField("结果", null=True, blank=True)
    error = models.TextField("错误", blank=True)
    attempts = models.PositiveSmallIntegerField("已尝试次数", default=0)
    #: The django-tasks result now carrying the job (a retry is a new one).
    task_id = models.CharField("任务编号", max_length=64, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-created_at", "pk"]
        indexes: ClassVar = [models.Index(fields=["state", "created_at"], name="job_state_created")]
        verbose_name = verbose_name_plural = "后台任务"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}（{self.get_state_display()}）"

    @property
    def finished(self) -> bool:
        return self.state in (JobState.DONE, JobState.FAILED)


class WorkerLease(models.Model):
    """A running ``jixiao worker``: it renews ``beat_at`` every few seconds while alive.  A task
    RUNNING under a worker whose lease has run out is put back in the queue (:mod:`jixiao_web.tasks`)."""

    worker_id = models.CharField("进程编号", max_length=64, primary_key=True)
    host = models.CharField("主机", max_length=200)
    pid = models.PositiveIntegerField("进程号")
    started_at = models.DateTimeField("启动时间", auto_now_add=True)
    beat_at = models.DateTimeField("最近心跳")

    class Meta:
        verbose_name = verbose_name_plural = "后台任务进程"

    def __str__(self) -> str:
        return f"{self.host}:{self.pid}"


class StoredBlob(models.Model):
    """A file kept in the database (:class:`jixiao_web.storage.DatabaseStorage`): every node sees
    it, and the database's backup holds it."""

    name = models.CharField("文件名", max_length=300, unique=True)
    content = models.BinaryField("内容")
    size = models.PositiveBigIntegerField("大小（字节）")
    created_at = models.DateTimeField("保存时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "数据库中的文件"

    def __str__(self) -> str:
        return self.name
