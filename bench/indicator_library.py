"""Benchmark: the indicator library (指标库) of a city with ten years of approved tables.

Generates, in a throw-away database (SQLite in a temporary data dir, or PostgreSQL with
``--postgres``), a city of ``--departments`` departments × ``--years`` years of approved and
published tables of about ``--indicators`` 三级指标 each, drawn from a realistic vocabulary (each
department keeps most of its indicators from one year to the next, as real departments do).
Then it measures:

- building the library from every stored version (``services.rebuild_library``);
- the incremental update when one more table is published (``library.update_for``);
- suggestion queries for a few hundred typed prefixes (one to four characters of a real name, or
  nothing typed yet, with the row's 一级/二级): through the service (``library.suggestions``,
  which includes the per-request freshness check) and through the page's address
  (``/library/suggest/``, signed in as a filer, all middleware included): p50, p95, max;
- the first query after a change (the worker loads the library again).

Usage::

    .venv/bin/python bench/indicator_library.py [--years 10 --departments 80 --indicators 25]
    .venv/bin/python bench/indicator_library.py --postgres [postgresql://postgres@127.0.0.1:5432/jixiao_library_bench]

Figures are printed and written to ``bench/out/indicator_library[-postgres].json``.  The aim:
suggestions under 50 ms at p95.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

from common import save

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/jixiao_library_bench"
FIRST_YEAR = 2015

# --- a realistic vocabulary ----------------------------------------------------------------------

TOPICS = (
    "安全生产检查", "应急演练", "业务培训", "政策宣传", "行政执法检查", "隐患排查", "项目建设",
    "专项整治", "督导检查", "窗口服务", "农田水利", "道路养护", "环境监测", "疫苗接种", "义务教育",
    "河道治理", "森林防火", "食品抽检", "社区矫正", "就业援助", "防汛物资储备", "信息系统运维",
    "档案数字化", "公共文化服务", "科技项目", "招商引资", "城乡低保", "残疾人康复", "老年人体检",
    "校舍维修", "污水处理", "垃圾分类", "扶贫帮扶", "退役军人服务", "消防设施维护", "统计调查",
)  # fmt: skip
#: Words departments put before a topic ("全市应急演练次数", "农村义务教育…"): names vary as in real tables.
QUALIFIERS = ("", "", "", "全市", "重点", "农村", "城区", "基层", "专项", "年度", "市级", "镇街")
#: (一级, 二级) → templates ({t} = a topic) with unit, comparator and a value generator.
Template = tuple[str, str, str, Callable[[random.Random], str]]


def _pct(low: int, high: int) -> Callable[[random.Random], str]:
    return lambda rng: str(rng.choice(range(low, high + 1, 5 if high - low >= 10 else 1)))


def _count(low: int, high: int) -> Callable[[random.Random], str]:
    return lambda rng: str(rng.randint(low, high))


def _words(*choices: str) -> Callable[[random.Random], str]:
    return lambda rng: rng.choice(choices)


VOCABULARY: dict[tuple[str, str], tuple[Template, ...]] = {
    ("产出指标", "数量指标"): (
        ("{t}次数", "次", "≥", _count(2, 60)),
        ("{t}场次", "场", "≥", _count(2, 30)),
        ("{t}人次", "人次", "≥", _count(100, 5000)),
        ("{t}覆盖率", "%", "≥", _pct(80, 100)),
        ("{t}完成数量", "个", "≥", _count(1, 40)),
    ),
    ("产出指标", "质量指标"): (
        ("{t}合格率", "%", "≥", _pct(90, 100)),
        ("{t}完成率", "%", "≥", _pct(90, 100)),
        ("{t}达标率", "%", "≥", _pct(85, 100)),
        ("{t}问题整改率", "%", "=", _pct(95, 100)),
    ),
    ("产出指标", "时效指标"): (
        ("{t}完成及时率", "%", "≥", _pct(90, 100)),
        ("{t}按期完成率", "%", "≥", _pct(90, 100)),
        ("资金支付及时率", "%", "≥", _pct(90, 100)),
        ("任务完成时间", "", "≤", _words("2024年12月", "12月底前", "年底前")),
    ),
    ("产出指标", "成本指标"): (
        ("项目支出控制数", "万元", "≤", _count(20, 3000)),
        ("{t}成本控制率", "%", "≤", _pct(95, 100)),
    ),
    ("效益指标", "社会效益指标"): (
        ("{t}知晓率", "%", "≥", _pct(80, 95)),
        ("群众安全感", "", "定性", _words("有效提升", "明显提升", "稳步提高")),
        ("公共服务水平", "", "定性", _words("有效提升", "持续改善")),
        ("{t}受益人数", "人", "≥", _count(500, 50000)),
    ),
    ("效益指标", "经济效益指标"): (("带动社会投资", "万元", "≥", _count(100, 10000)),),
    ("效益指标", "生态效益指标"): (("{t}生态环境改善", "", "定性", _words("有所改善", "明显改善")),),
    ("效益指标", "可持续影响指标"): (
        ("{t}长效机制", "", "定性", _words("建立健全", "持续完善")),
        ("监测预警时段", "小时", "=", _words("7*24")),
    ),
    ("满意度指标", "服务对象满意度指标"): (
        ("服务对象满意度", "%", "≥", _pct(85, 98)),
        ("群众满意度", "%", "≥", _pct(85, 98)),
        ("{t}参与人员满意度", "%", "≥", _pct(85, 98)),
    ),
}
#: How many rows of each 二级 a table has, about (Σ ≈ 25).
SHARE = {
    ("产出指标", "数量指标"): 7,
    ("产出指标", "质量指标"): 5,
    ("产出指标", "时效指标"): 3,
    ("产出指标", "成本指标"): 2,
    ("效益指标", "社会效益指标"): 3,
    ("效益指标", "经济效益指标"): 1,
    ("效益指标", "生态效益指标"): 1,
    ("效益指标", "可持续影响指标"): 1,
    ("满意度指标", "服务对象满意度指标"): 2,
}


def profile(rng: random.Random, topics: list[str], size: int) -> list[tuple[str, str, str, str, str, Any]]:
    """A department's indicators: (一级, 二级, name, unit, comparator, value maker)."""
    rows = []
    scale = size / sum(SHARE.values())
    for (level1, level2), share in SHARE.items():
        for _ in range(max(1, round(share * scale))):
            name, unit, comparator, value = rng.choice(VOCABULARY[level1, level2])
            topic = rng.choice(QUALIFIERS) + rng.choice(topics)
            rows.append((level1, level2, name.format(t=topic), unit, comparator, value))
    return rows


def table_data(department: str, year: int, rows: list[Any], rng: random.Random) -> dict[str, Any]:
    return {
        "title": f"揭阳市{year}年市直部门整体预算绩效目标表",
        "year": year,
        "department": {"name": department, "competent_department": department[3:]},
        "budget": {"basic_expenditure": "100", "project_expenditure": "50"},
        "overall_goal": "",
        "tasks": [],
        "indicators": [
            {
                "level1": level1,
                "level2": level2,
                "name": name,
                "explanation": "",
                "comparator": comparator,
                "value": value(rng),
                "unit": unit,
            }
            for level1, level2, name, unit, comparator, value in rows
        ],
    }


# --- the database --------------------------------------------------------------------------------


def _admin(url: str) -> tuple[str, str]:
    parts = urlparse(url)
    name = parts.path.lstrip("/")
    if "bench" not in name:
        raise SystemExit(f"refusing to drop database {name!r}: its name must contain 'bench'")
    return name, urlunparse(parts._replace(path="/postgres"))


def recreate_database(url: str, drop_only: bool = False) -> None:
    import psycopg

    name, admin = _admin(url)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop_only:
            connection.execute(f'CREATE DATABASE "{name}"')


def build_city(years: int, departments: int, indicators: int, seed: int) -> dict[str, Any]:
    """Departments, one filer each, and ``years`` approved/published tables per department."""
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from jixiao_web.models import City, Department, Filing, FilingYear, Role, Status, User, Version

    call_command("migrate", verbosity=0, interactive=False)
    rng = random.Random(seed)
    with transaction.atomic():
        city = City.current()
        city.name = "揭阳市"
        city.save()
        last_year = FIRST_YEAR + years - 1
        for year in range(FIRST_YEAR, last_year + 2):
            FilingYear.objects.create(year=year, deadline=timezone.now() + timedelta(days=14))
        finance = Department.objects.create(code="czj", name="揭阳市财政局", is_finance_bureau=True)
        reviewer = User.objects.create_user("shenhe", role=Role.REVIEWER, department=finance)
        made = Department.objects.bulk_create(
            Department(code=f"bm{i:03d}", name=f"揭阳市第{i:03d}局") for i in range(1, departments + 1)
        )
        filers = User.objects.bulk_create(
            User(username=f"{d.code}_tianbao", role=Role.FILER, department=d) for d in made
        )
        filings, tables = [], []
        for department in made:
            topics = rng.sample(TOPICS, 4)
            rows = profile(rng, topics, indicators)
            for year in range(FIRST_YEAR, last_year + 1):
                if year > FIRST_YEAR:  # a fifth of the indicators change from one year to the next
                    fresh = profile(rng, topics, indicators)
                    rows = [new if rng.random() < 0.2 else old for old, new in zip(rows, fresh, strict=False)]
                status = Status.PUBLISHED if year < last_year else Status.APPROVED
                filings.append(Filing(department=department, year=year, status=status, grade="优"))
                tables.append(table_data(department.name, year, rows, rng))
        filings = Filing.objects.bulk_create(filings, batch_size=500)
        if filings[0].pk is None:
            filings = list(Filing.objects.order_by("pk"))
        versions = Version.objects.bulk_create(
            [
                Version(filing=f, number=1, data=t, report={}, created_by=reviewer)
                for f, t in zip(filings, tables, strict=True)
            ],
            batch_size=500,
        )
        if versions[0].pk is None:
            versions = list(Version.objects.order_by("pk"))
        for filing, version in zip(filings, versions, strict=True):
            filing.received_version = version
            if filing.status == Status.PUBLISHED:
                filing.published_version = version
        Filing.objects.bulk_update(filings, ["received_version", "published_version"], batch_size=500)
    names = sorted({(row["level1"], row["level2"], row["name"]) for t in tables for row in t["indicators"]})
    return {"filings": len(filings), "rows": sum(len(t["indicators"]) for t in tables), "names": names,
            "filer": filers[0].username}  # fmt: skip


def queries(names: list[tuple[str, str, str]], count: int, seed: int) -> list[dict[str, str]]:
    """Typed prefixes of real names (1–4 characters), and some rows with nothing typed yet."""
    from jixiao.model.common_indicators import COMMON_INDICATORS

    rng = random.Random(seed)
    pool = names + [(c.level1, c.level2, c.name) for c in COMMON_INDICATORS]
    made = []
    for _ in range(count):
        level1, level2, name = rng.choice(pool)
        typed = "" if rng.random() < 0.1 else name[: rng.randint(1, min(4, len(name)))]
        made.append({"q": typed, "level1": level1, "level2": level2})
    return made


def _ms(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50": round(statistics.median(ordered) * 1000, 2),
        "p95": round(ordered[int(len(ordered) * 0.95) - 1] * 1000, 2),
        "max": round(ordered[-1] * 1000, 2),
    }


def measure(city: dict[str, Any], count: int, seed: int) -> dict[str, Any]:
    from django.db import transaction
    from django.test import Client

    from jixiao_web import library, services
    from jixiao_web.audit import Actor
    from jixiao_web.models import Filing, LibraryEntry, User

    results: dict[str, Any] = {}
    started = time.perf_counter()
    counts = services.rebuild_library(Actor(None))
    results["rebuild_s"] = round(time.perf_counter() - started, 2)
    results["library"] = {**counts, "entries_used": LibraryEntry.objects.filter(usage__gt=0).count()}

    started = time.perf_counter()
    library.index()
    results["index_load_ms"] = round((time.perf_counter() - started) * 1000, 1)

    asked = queries(city["names"], count, seed)
    for q in asked[:20]:  # warm up
        library.suggestions(q["q"], q["level1"], q["level2"])
    service, answered = [], 0
    for q in asked:
        started = time.perf_counter()
        found = library.suggestions(q["q"], q["level1"], q["level2"])
        service.append(time.perf_counter() - started)
        answered += bool(found)
    results["service_ms"] = _ms(service)
    results["queries"] = len(asked)
    results["queries_answered"] = answered

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(User.objects.get(username=city["filer"]))
    for q in asked[:20]:
        client.get("/library/suggest/", q)
    view = []
    for q in asked:
        started = time.perf_counter()
        response = client.get("/library/suggest/", q)
        view.append(time.perf_counter() - started)
        assert response.status_code == 200, response.status_code
    results["view_ms"] = _ms(view)

    # One more publication: the incremental update, then the first query after it.
    filing = Filing.objects.filter(status="approved").select_related("received_version").first()
    assert filing is not None
    updates = []
    for _ in range(5):
        with transaction.atomic():
            started = time.perf_counter()
            library.update_for(filing)
            updates.append(time.perf_counter() - started)
    results["update_on_publication_ms"] = _ms(updates)
    started = time.perf_counter()
    library.suggestions("服务", "满意度指标", "服务对象满意度指标")
    results["first_query_after_change_ms"] = round((time.perf_counter() - started) * 1000, 1)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--departments", type=int, default=80)
    parser.add_argument("--indicators", type=int, default=25)
    parser.add_argument("--queries", type=int, default=400)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--postgres", nargs="?", const=DEFAULT_POSTGRES, default=None, metavar="URL")
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="jixiao-library-bench-"))
    os.environ["JIXIAO_DATA_DIR"] = str(data_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "jixiao_web.settings"
    if args.postgres:
        recreate_database(args.postgres)
        os.environ["DATABASE_URL"] = args.postgres
    else:
        os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.db import connections

    try:
        started = time.perf_counter()
        city = build_city(args.years, args.departments, args.indicators, args.seed)
        generated = round(time.perf_counter() - started, 1)
        results: dict[str, Any] = {
            "database": "postgresql" if args.postgres else "sqlite",
            "years": args.years,
            "departments": args.departments,
            "tables": city["filings"],
            "indicator_rows": city["rows"],
            "distinct_names": len(city["names"]),
            "load_average_at_start": os.getloadavg()[0],
            "generate_s": generated,
            **measure(city, args.queries, args.seed),
        }
    finally:
        connections.close_all()
        if args.postgres:
            recreate_database(args.postgres, drop_only=True)
    name = "indicator_library" + ("-postgres" if args.postgres else "")
    path = save(name, results)
    print(f"指标库基准（{results['database']}）：{results['tables']} 张表，{results['indicator_rows']} 个指标行，"
          f"{results['library']['entries']} 个指标（{results['distinct_names']} 个不同名称）")  # fmt: skip
    print(f"  重建 {results['rebuild_s']} s；载入索引 {results['index_load_ms']} ms；发布时增量更新 "
          f"p50 {results['update_on_publication_ms']['p50']} ms")  # fmt: skip
    for label, key in (("服务函数", "service_ms"), ("网址（含中间件）", "view_ms")):
        figures = results[key]
        print(f"  建议 {label}：p50 {figures['p50']} ms，p95 {figures['p95']} ms，最长 {figures['max']} ms"
              f"（{results['queries']} 次查询，{results['queries_answered']} 次有建议）")  # fmt: skip
    print(
        f"  机器负载（1 分钟平均，开始时）：{results['load_average_at_start']:.1f}，结束时 {os.getloadavg()[0]:.1f}"
    )
    print(f"  变更后的首次查询 {results['first_query_after_change_ms']} ms；结果写入 {path}")
    ok = results["view_ms"]["p95"] < 50
    print("  目标：p95 < 50 ms —— " + ("达到" if ok else "未达到"))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
