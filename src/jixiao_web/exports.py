"""Published tables as files: each published version is rendered once per format by the library's
writers and kept in storage; downloads are served from there."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from collections.abc import Iterable
from typing import Final

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.http import FileResponse

from jixiao.model import TargetTable
from jixiao.model.framework import Comparator
from jixiao.model.values import parse_number
from jixiao.write import write_bytes
from jixiao_web import audit, disposition
from jixiao_web.models import AuditAction, Export, Filing, Job, JobKind, JobState, Kind, User, Version

#: Download formats: extension → (MIME type, Chinese name).
FORMATS: Final = {
    "html": ("text/html; charset=utf-8", "网页"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Excel"),
    "pdf": ("application/pdf", "PDF"),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "Word"),
    "json": ("application/json", "开放数据 JSON"),
}


def file_name(version: Version, fmt: str) -> str:
    """The stored file's name, and the ASCII name of a download for clients without ``filename*``."""
    filing = version.filing
    kind = "-selfeval" if filing.kind == Kind.SELFEVAL else ""
    return f"{filing.year}-{filing.department.code}{kind}-v{version.number}.{fmt}"


def download_name(version: Version, fmt: str) -> str:
    """The name a person reads: ``揭阳市教育局-2024年度部门整体预算绩效目标表-第2版.xlsx``."""
    filing = version.filing
    what = "部门整体支出绩效自评表" if filing.kind == Kind.SELFEVAL else "部门整体预算绩效目标表"
    return f"{filing.department.name}-{filing.year}年度{what}-第{version.number}版.{fmt}"


def open_data_name(year: int, city: str) -> tuple[str, str]:
    """The readable and the ASCII name of a year's open data."""
    return f"{city}-{year}年度部门整体预算绩效目标表-开放数据.zip", f"jixiao-{year}-open-data.zip"


def _content(version: Version, fmt: str) -> bytes:
    """``version`` written in ``fmt``: a target table by its writers; a self-evaluation by its
    own (with the finance bureau's reviewed scores, and its round's profile)."""
    if version.filing.kind != Kind.SELFEVAL:
        return write_bytes(TargetTable.model_validate(version.data), "." + fmt)
    from jixiao.check import check_selfeval
    from jixiao.write.selfeval import write_selfeval_bytes
    from jixiao_web import selfeval

    profile = selfeval.profile_of(version.filing.year)
    evaluation = selfeval.as_reviewed(
        selfeval.evaluation_of(version.data), selfeval.reviews_of(version), profile
    )
    if fmt == "json":
        return (evaluation.to_json() + "\n").encode()
    return write_selfeval_bytes(evaluation, "." + fmt, profile, check_selfeval(evaluation, profile))


def export(version: Version, fmt: str) -> Export:
    """The stored rendering of ``version`` in ``fmt``, made now if it does not exist yet."""
    if fmt not in FORMATS:
        raise KeyError(fmt)
    existing = Export.objects.filter(version=version, format=fmt).first()
    if existing is not None:
        return existing
    content = _content(version, fmt)
    try:
        with transaction.atomic():
            made = Export(
                version=version,
                format=fmt,
                sha256=hashlib.sha256(content).hexdigest(),
                size=len(content),
            )
            made.file.save(file_name(version, fmt), ContentFile(content), save=False)
            made.save()
            # The chain keeps what was rendered: verify checks the file and this row against it.
            audit.record(
                audit.Actor(None, name="系统"),
                AuditAction.EXPORT,
                filing=version.filing,
                target=f"{version} {FORMATS[fmt][1]}下载文件",
                after={
                    audit.VERSION_KEY: version.number,
                    audit.EXPORT_FORMAT_KEY: fmt,
                    audit.EXPORT_FILE_KEY: made.file.name,
                    audit.EXPORT_DIGEST_KEY: made.sha256,
                },
            )
            return made
    except IntegrityError:  # another worker rendered it first
        return Export.objects.get(version=version, format=fmt)


#: Formats a browser shows itself; the others are downloaded as files.
INLINE: Final = frozenset({"html", "pdf", "json"})


class NotReady(Exception):
    """The file is being made by the background worker: its job says how far it is."""

    def __init__(self, job: Job) -> None:
        super().__init__(job)
        self.job = job


def rendering(version: Version, user: User | None = None, fmt: str | None = None) -> Job:
    """The job rendering ``version``'s downloads (all of them, or only ``fmt``): the one waiting or
    running, else a new one."""
    from jixiao_web import jobs

    pending = (
        Job.objects.filter(kind=JobKind.RENDER, params__version=version.pk)
        .exclude(state__in=(JobState.DONE, JobState.FAILED))
        .first()
    )
    if pending is not None:
        return pending
    params: dict[str, object] = {"version": version.pk}
    if fmt is not None:
        params["formats"] = [fmt]
    return jobs.start(JobKind.RENDER, user=user, filing=version.filing, params=params)


def file_response(version: Version, fmt: str) -> FileResponse:
    """The stored rendering of ``version`` in ``fmt``, as a download; :class:`NotReady` while the
    worker is still making it (web workers never render: queue)."""
    stored = Export.objects.filter(version=version, format=fmt).first()
    if stored is None:  # not rendered yet (or its rendering failed): asked for now
        job = rendering(version, fmt=fmt)
        stored = Export.objects.filter(version=version, format=fmt).first()
        if stored is None:
            raise NotReady(job)
    response = FileResponse(stored.file.open("rb"), content_type=FORMATS[fmt][0])
    response["Content-Disposition"] = disposition.header(
        download_name(version, fmt), file_name(version, fmt), attachment=fmt not in INLINE
    )
    if fmt == "html":  # harden: a document with its own <style>, under a policy of its own
        from jixiao_web.middleware import EXPORT_POLICY

        response["Content-Security-Policy"] = EXPORT_POLICY
    return response


def render_all(version: Version) -> list[Export]:
    return [export(version, fmt) for fmt in FORMATS]


# ---------------------------------------------------------------------------------------------
# Bulk open data for a year

TASK_COLUMNS: Final = ("year", "department", "seq", "kind", "name", "content", "amount")
INDICATOR_COLUMNS: Final = (
    "year",
    "department",
    "row",
    "level1",
    "level2",
    "name",
    "explanation",
    "comparator",
    "value",
    "unit",
)

README: Final = """# {year}年度部门整体预算绩效目标表 开放数据

本数据包含{city}{year}年度已发布的全部部门整体预算绩效目标表（共 {count} 张），由 jixiao 生成。

## 文件

- `tables/部门代码.json`：每张表一个文件，字段见 jixiao 的规范 JSON（`jixiao schema` 输出其 JSON Schema）。
  金额单位为万元，以字符串记录精确十进制数（如 "565.58075"），请勿按浮点数读取。
- `tasks.csv`：全部表的年度重点工作任务及其他需完成任务，每行一项任务。
- `indicators.csv`：全部表的绩效指标，每行一个三级指标。
- `selfeval-scores.csv`：已发布的部门整体支出绩效自评表的得分，每个部门一行（没有已发布的自评表时只有字段名）。
- CSV 为 UTF-8（带 BOM，便于 Excel 直接打开），逗号分隔，首行为字段名。

## tasks.csv 字段

| 字段 | 含义 |
|---|---|
| year | 年度 |
| department | 部门名称 |
| seq | 序号（两部分连续编号） |
| kind | key = 年度重点工作任务，other = 其他需完成任务 |
| name | 任务名称 |
| content | 主要实施内容 |
| amount | 拟投入金额（万元，精确十进制；空 = 未填） |

## indicators.csv 字段

| 字段 | 含义 |
|---|---|
| year | 年度 |
| department | 部门名称 |
| row | 该表中的指标行号（从 1 起） |
| level1 | 一级指标（如 产出指标） |
| level2 | 二级指标（如 数量指标） |
| name | 三级指标 |
| explanation | 三级指标解释 |
| comparator | 对比符号：≥ ≤ = > < 定性 |
| value | 指标值（照录，如 100、7*24、显著提升） |
| unit | 计量单位 |

## selfeval-scores.csv 字段

| 字段 | 含义 |
|---|---|
| year | 年度 |
| department | 部门名称 |
| execution_rate | 预算执行率（%，两位小数；空 = 无法计算） |
| execution_score | 预算执行率得分 |
| indicator_score | 绩效指标得分合计（含财政局复核得分） |
| total | 自评总分（含财政局复核得分） |
| grade | 等级 |
| reviewed_rows | 财政局复核改动得分的指标数 |
| department_total | 部门自评总分（复核前） |
"""

#: selfeval: the columns of ``selfeval-scores.csv`` (one line per published self-evaluation).
SCORE_COLUMNS: Final = (
    "year",
    "department",
    "execution_rate",
    "execution_score",
    "indicator_score",
    "total",
    "grade",
    "reviewed_rows",
    "department_total",
)


#: What a spreadsheet takes for the start of a formula (OWASP's CSV injection list).
FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")


#: Values that are only a comparator (``=``) are data, not a formula: written as they are.
COMPARATOR_VALUES: Final = frozenset(c.value for c in Comparator)


def _inert(value: object) -> object:
    """Text a spreadsheet would run as a formula, quoted; numbers (``-5``, ``+3.5``) and a lone
    comparator (``=``) left as they are."""
    if (
        isinstance(value, str)
        and value.startswith(FORMULA_STARTS)
        and value not in COMPARATOR_VALUES
        and parse_number(value) is None
    ):
        return "'" + value
    return value


def _csv(columns: Iterable[str], rows: Iterable[dict[str, object]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: _inert(value) for key, value in row.items()})
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")


def open_data_zip(
    year: int, city: str, filings: Iterable[Filing], scores: Iterable[dict[str, object]] = ()
) -> bytes:
    """All published tables of ``year`` as JSON, flat CSVs of tasks and indicators, the published
    self-evaluations' scores (``scores``: rows of :data:`SCORE_COLUMNS`), and a README."""
    tasks: list[dict[str, object]] = []
    indicators: list[dict[str, object]] = []
    buffer = io.BytesIO()
    count = 0
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for filing in filings:
            version = filing.published_version
            if version is None:
                continue
            count += 1
            table = TargetTable.model_validate(version.data)
            data = table.model_dump(mode="json")
            archive.writestr(
                f"tables/{filing.department.code}.json", json.dumps(data, ensure_ascii=False, indent=2)
            )
            name = table.department.name or filing.department.name
            for task in data["tasks"]:
                tasks.append({"year": year, "department": name, **{k: task.get(k) for k in TASK_COLUMNS[2:]}})
            for row, indicator in enumerate(data["indicators"], start=1):
                indicators.append(
                    {
                        "year": year,
                        "department": name,
                        "row": row,
                        **{k: indicator[k] for k in INDICATOR_COLUMNS[3:]},
                    }
                )
        archive.writestr("tasks.csv", _csv(TASK_COLUMNS, tasks))
        archive.writestr("indicators.csv", _csv(INDICATOR_COLUMNS, indicators))
        archive.writestr("selfeval-scores.csv", _csv(SCORE_COLUMNS, scores))
        archive.writestr("README.md", README.format(year=year, city=city, count=count))
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------
# queue: the open data of a year, built by the worker and kept in storage


def open_data_key(year: int) -> str:
    """What the open data of ``year`` is made of (the published versions): a new publication, a
    new key, a new bundle."""
    from jixiao_web import selectors

    tables = sorted(selectors.published(year).values_list("pk", "published_version_id"))
    selfevals = sorted(selectors.published_selfevals(year).values_list("pk", "published_version_id"))
    return hashlib.sha256(json.dumps([year, tables, selfevals]).encode()).hexdigest()[:32]


def open_data_ready(year: int) -> Job | None:
    """The finished job whose bundle is ``year``'s open data as it is now (None: none yet)."""
    return (
        Job.objects.filter(
            kind=JobKind.OPEN_DATA, state=JobState.DONE, params__year=year, result__key=open_data_key(year)
        )
        .order_by("-finished_at")
        .first()
    )


def building_open_data(year: int) -> Job:
    """The job building ``year``'s open data: the one waiting or running, else a new one."""
    from jixiao_web import jobs

    pending = (
        Job.objects.filter(kind=JobKind.OPEN_DATA, params__year=year)
        .exclude(state__in=(JobState.DONE, JobState.FAILED))
        .first()
    )
    return pending or jobs.start(JobKind.OPEN_DATA, params={"year": year})


def store_open_data(year: int) -> dict[str, object]:
    """Build ``year``'s open data and keep it in storage (the worker's job)."""
    from jixiao_web import selectors, selfeval
    from jixiao_web.models import City

    key = open_data_key(year)
    content = open_data_zip(
        year, City.current().name, selectors.published(year), selfeval.published_scores(year)
    )
    name = default_storage.save(f"opendata/{year}/{key}.zip", ContentFile(content))
    return {"key": key, "file": name, "sha256": hashlib.sha256(content).hexdigest(), "size": len(content)}
