"""A demo city: 揭阳市's finance bureau, departments with tables in every state, and accounts.

Every department's table is its own (``demo_data/``, in the text form the library reads):
揭阳市应急管理局's is the real published 2023 table; the 2024 tables of the others are written for
the demo, each about its department's work, with amounts in 万元 that add up.  Some carry the
defects real published tables have (:data:`PLANTED`), so the demo shows the rules at work.
Everything goes through the services, so the demo's history is in the audit log like any other.
Passwords are random, kept in ``demo-accounts.txt`` in the data dir (owner-only) and printed at
every start.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from functools import cache
from importlib.resources import files
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from jixiao.model import Comparator, TargetTable
from jixiao.model.monitoring import MonitoringReport
from jixiao.model.selfeval import SelfEvaluation
from jixiao.profile import VARIANTS
from jixiao.read import read_bytes
from jixiao.scoring import read_target
from jixiao_web import monitoring, selfeval, services
from jixiao_web.audit import Actor
from jixiao_web.models import City, Department, Filing, FilingYear, Role, User
from jixiao_web.services import ReviewComment

CITY = "揭阳市"
FINANCE = ("czj", "揭阳市财政局", "")
#: code, name, competent department, status of its 2024 table ("" = not started)
DEPARTMENTS = (
    ("yingji", "揭阳市应急管理局", "应急管理", ""),
    ("jiaoyu", "揭阳市教育局", "教育", "draft"),
    ("shuiwu", "揭阳市水务局", "水务", "head_review"),
    ("weijian", "揭阳市卫生健康局", "卫生健康", "submitted"),
    ("jiaotong", "揭阳市交通运输局", "交通运输", "returned"),
    ("nongye", "揭阳市农业农村局", "农业农村", "approved"),
    ("ziran", "揭阳市自然资源局", "自然资源", "published"),
    ("minzheng", "揭阳市民政局", "民政", "approved"),
    ("wenlv", "揭阳市文化广电旅游体育局", "文化广电旅游体育", "approved"),
)
OPEN_YEAR = 2024
#: The people of each department: its filer and its head (部门负责人).
PEOPLE = {
    "yingji": ("陈志强", "黄建华"),
    "jiaoyu": ("林晓敏", "郑国栋"),
    "shuiwu": ("蔡文杰", "许永辉"),
    "weijian": ("吴丽娟", "李振东"),
    "jiaotong": ("杨少鹏", "谢伟明"),
    "nongye": ("方秀英", "詹德胜"),
    "ziran": ("王嘉怡", "刘锦荣"),
    "minzheng": ("黄晓燕", "陈伟雄"),
    "wenlv": ("郑雅琪", "林泽鸿"),
}

#: The defects written into the demo tables on purpose, by department: the errors and warnings
#: their tables should show (the other tables have none).
PLANTED: dict[str, frozenset[str]] = {
    # A draft: 项目支出 mistyped (3868.5 for 3886.5), which also unbalances the two sides; ≥100%.
    "jiaoyu": frozenset({"project-expenditure-mismatch", "income-expenditure-mismatch", "percent-ge-100"}),
    # 其他资金 left 60 万元 short; the target written into an indicator's name.
    "weijian": frozenset({"income-expenditure-mismatch", "value-in-name"}),
    # Satisfaction filed under 效益 (so 满意度 is empty) and ≥100%: what the reviewer sent back.
    "jiaotong": frozenset({"indicator-misclassified", "satisfaction-indicator-missing", "percent-ge-100"}),
}

#: The finance bureau's comments on 交通运输局's table when it sent it back: (section, row, text).
RETURN_COMMENTS = (
    ("indicators", 8, "“群众出行满意度”是满意度指标，请移到“满意度指标/服务对象满意度指标”下。"),
    ("indicators", 7, "建制村通公交率不可能超过100%，“≥100%”请改为“=100%”。"),
    ("indicators", 4, "指标解释只重复了指标名称，请写明检测的桥梁范围和依据的养护规范。"),
)


#: The demo's self-evaluations (绩效自评): department, year, state.  2023's is 应急管理局's, made
#: from its published table and published; 2024's are of the tables approved that year.
SELFEVALS = (
    ("yingji", 2023, "published"),
    ("nongye", OPEN_YEAR, "approved"),
    ("ziran", OPEN_YEAR, "submitted"),
    ("minzheng", OPEN_YEAR, "returned"),
    ("wenlv", OPEN_YEAR, "draft"),  # just made: nothing typed yet
)


@dataclass(frozen=True, slots=True)
class Results:
    """What a department reports at the year's end.  Every indicator meets its target (a 定性 one:
    达成) and every task is carried out at the department's execution rate, except ``short``: indicator
    row → (actual value or 定性 tier, 偏差原因分析及改进措施)."""

    #: 年度资金总额: 年初预算数 where the approved table does not show it, 全年预算数, 全年执行数.
    initial: str | None
    annual: str | None
    executed: str
    reason: str
    goal_actual: str
    short: dict[int, tuple[str, str]]
    conclusion: str
    problems: str
    improvements: str


RESULTS: dict[str, Results] = {
    # The real 2023 table leaves 基本支出 and the sources blank: the department fills 年初预算数 in.
    "yingji": Results(
        initial="1832.66",
        annual="1858.16",
        executed="1776.43",
        reason="年中追加森林防灭火专项经费25.5万元，全年预算数调整为1858.16万元；综合运维服务项目部分"
        "合同款按约定于验收后支付，结转下年，执行率95.6%。",
        goal_actual="全年指挥信息网7×24小时运行，无重大网络故障；第三方机构完成5个重点化工项目安全审查；"
        "《揭阳市危险化学品安全风险评估报告》和事故应急预案编制完成并印发；全年未发生较大以上生产安全事故。",
        short={
            1: ("5", ""),
            3: (
                "3.5",
                "惠来县、揭西县山区两起险情路途远、道路受损，平均到达时间3.5小时；"
                "改进措施：在山区镇前置救援力量和装备，明年平均到达时间控制在3小时内。",
            ),
        },
        conclusion="年度目标基本完成，资金执行良好，应急处置到达时间未达目标。",
        problems="山区险情应急处置到达时间偏长；个别项目合同款支付进度慢于计划。",
        improvements="优化应急救援力量布局，山区镇前置队伍和装备；按合同节点及时验收支付。",
    ),
    "nongye": Results(
        initial=None,
        annual=None,
        executed="8907.9",
        reason="高标准农田建设项目受汛期持续降雨影响，部分工程款结转下年支付，执行率97.9%。",
        goal_actual="建成高标准农田2.1万亩，两个省级现代农业产业园投产；全年未发生区域性重大动物疫情；"
        "新改建农村卫生户厕3126户，行政村生活垃圾收运处置体系全覆盖。",
        short={
            1: (
                "2.1",
                "汛期持续降雨，揭西县两个片区共0.2万亩工程延期，已于次年3月完成验收；"
                "今后将施工期安排在旱季，并按月调度工程进度。",
            ),
            2: ("3126", ""),
            9: ("达成", ""),
        },
        conclusion="年度目标基本完成，高标准农田建设面积略低于目标。",
        problems="高标准农田建设受天气影响进度滞后。",
        improvements="提前开展项目前期工作，避开汛期施工。",
    ),
    "ziran": Results(
        initial=None,
        annual=None,
        executed="6331.4",
        reason="地质灾害治理工程1处因用地协调延后开工，国土空间详细规划编制合同按进度付款，"
        "相关资金结转下年，执行率85.0%。",
        goal_actual="市级国土空间总体规划获批；4处地质灾害隐患点完成工程治理，全年无地质灾害人员伤亡；"
        "一般不动产登记3个工作日内办结；耕地保有量完成省下达任务，永久基本农田储备区划定完成九成。",
        short={
            1: (
                "4",
                "榕城区1处隐患点因用地协调延后开工，治理工程于次年4月完工；"
                "今后在年初完成用地协调再下达治理计划。",
            ),
            2: (
                "5",
                "普宁市详细规划因片区范围调整未能年内完成编制，已于次年一季度报批；今后按季度调度各县区编制进度。",
            ),
            5: (
                "4",
                "上半年登记系统升级切换，一般登记平均办理时间4个工作日；系统稳定后已恢复3个工作日内办结。",
            ),
            6: (
                "168",
                "两处隐患点地质条件复杂，增加抗滑桩和排水工程，单点投入168万元；"
                "今后在勘查阶段查明地质条件，据实编制预算。",
            ),
            8: ("达成", ""),
            10: (
                "91",
                "不动产登记窗口在系统升级期间排队时间偏长，好评比例91%；已增设自助查询机并推行预约办理。",
            ),
            9: (
                "部分达成",
                "耕地保有量完成省下达任务，但永久基本农田储备区划定只完成九成，余下部分已列入次年计划并按季调度。",
            ),
        },
        conclusion="年度目标大部分完成，地质灾害工程治理和永久基本农田储备区划定未全部完成。",
        problems="工程项目前期工作不足，影响开工和资金执行。",
        improvements="加强项目储备和前期工作，按季度通报执行进度。",
    ),
    "minzheng": Results(
        initial=None,
        annual=None,
        executed="9969.7",
        reason="",
        goal_actual="全年按月足额发放低保金和特困供养金；建成社区居家养老服务站点21个；"
        "为1130名经济困难失能老年人提供居家上门服务；孤儿和事实无人抚养儿童基本生活费按时发放。",
        short={
            1: ("21", ""),
            2: ("1130", "部分老人入住养老机构，服务人数减少。"),
            7: ("达成", ""),
        },
        conclusion="年度目标基本完成。",
        problems="居家上门服务人数未达目标。",
        improvements="扩大居家上门服务对象摸查范围。",
    ),
}

#: The finance bureau's comments on 民政局's self-evaluation when it sent it back: (section, row, text).
SELFEVAL_RETURN_COMMENTS = (
    ("indicators", 2, "居家上门服务人数未达目标，偏差原因只写了一句，请写明少了多少人、原因和改进措施。"),
    ("overall_goal", None, "请补充困难群众救助人数等主要数字。"),
)
#: The bureau's 复核 of one of 农业农村局's scores: indicator row, its score, why.
SELFEVAL_REVIEW = (4, "0", "例行监测抽检批次少于年度计划，合格率依据不足，按未提供佐证计 0 分。")


#: monup: the July 2024 monitoring round (绩效运行监控).  Every department with an approved 2024
#: table gets a report; three report on time, with a red, a yellow and a green department warning
#: (the green one with a blue row, far ahead of time progress: a department's colour is its worst
#: and the budget is never blue), and one has not reported though the deadline passed.
MONITORING_MONTH = 7


@dataclass(frozen=True, slots=True)
class Progress:
    """What a department reports as of the end of July: the share of its budget spent, why when
    it is behind, and the rows off course (row → 1–7月完成值, 全年预计完成值, 完成可能性, 原因说明,
    纠偏措施); every other row is on course.  ``state``: how far the report goes."""

    state: str
    spent: Decimal
    reason: str
    rows: dict[int, tuple[str, str, str, str, str]]
    problems: str
    next_steps: str
    #: The department's warning its report shows (红、黄、绿).
    colour: str


PROGRESS: dict[str, Progress] = {
    "nongye": Progress(
        state="submitted",
        spent=Decimal("0.6"),
        reason="",
        rows={
            1: (
                "0.6",
                "2.1",
                "有可能",
                "汛期持续降雨，揭西县两个片区停工约两个月，已建成0.6万亩。",
                "雨季过后增加施工班组，按周调度进度，力争年底前完成2.1万亩，余下部分列入次年计划。",
            )
        },
        problems="高标准农田建设受汛期影响进度滞后。",
        next_steps="第三季度集中施工，按周通报各片区进度。",
        colour="red",
    ),
    "ziran": Progress(
        state="returned",
        spent=Decimal("0.45"),
        reason="地质灾害治理工程1处因用地协调延后开工，详细规划编制合同按节点付款，下半年集中支付。",
        rows={},
        problems="工程项目前期工作不足，资金支付慢于序时进度。",
        next_steps="按月调度工程进度和合同支付，第三季度完成用地协调。",
        colour="yellow",
    ),
    "minzheng": Progress(
        state="accepted",
        spent=Decimal("0.6"),
        reason="",
        rows={1: ("18", "24", "确定能", "", "")},
        problems="部分站点运营经费依赖财政补助。",
        next_steps="引导社会力量参与站点运营。",
        colour="green",
    ),
    "wenlv": Progress(
        state="draft", spent=Decimal(0), reason="", rows={}, problems="", next_steps="", colour=""
    ),
}
#: The finance bureau's comment on 自然资源局's report when it sent it back.
MONITORING_RETURN_COMMENT = ("funds", None, "请写明下半年每月的支付计划和预计全年执行数的依据。")


_ACCRUING = (Comparator.GE, Comparator.GT, Comparator.EQ)


def _ahead(target: Decimal, month: int) -> str:
    """A figure on course as of ``month``: the target pro-rated, rounded up (a whole number for a
    whole target, else one decimal)."""
    places = Decimal(1) if target == target.to_integral_value() else Decimal("0.1")
    share = target * month / 12
    return str(share.quantize(places, rounding=ROUND_CEILING))


def on_course(report: MonitoringReport, progress: Progress) -> MonitoringReport:
    """``report`` as its department fills it in with ``progress``."""
    data = report.model_dump(mode="json")
    month = report.month
    for name in ("total", "basic", "project", "fiscal", "other"):
        row = data["funds"][name]
        if row["initial_budget"] is None:
            continue
        initial = Decimal(row["initial_budget"])
        row["adjusted_budget"] = str(initial)
        row["executed"] = str(_money(initial * progress.spent))
        row["forecast"] = str(initial)
    data["funds"]["reason"] = progress.reason
    for task, row in zip(report.approved.tasks, data["tasks"], strict=True):
        row["executed"] = str(_money((task.amount or Decimal(0)) * progress.spent))
        row["progress"] = "按计划推进。"
    for number, (indicator, row) in enumerate(
        zip(report.approved.indicators, data["indicators"], strict=True), 1
    ):
        target = read_target(indicator, report.year)
        if number in progress.rows:
            to_date, forecast, likelihood, note, measures = progress.rows[number]
            row.update(to_date=to_date, forecast=forecast, likelihood=likelihood)
            if note:
                row.update(causes=["其他"], cause_note=note, measures=measures)
            continue
        row["likelihood"] = "确定能"
        if target.kind == "qualitative":
            row["tier"] = row["forecast"] = "达成"
        elif target.kind == "date":
            row["forecast"] = indicator.value  # not completed yet: on time until its deadline
        else:
            assert target.value is not None
            accrues = target.comparator in _ACCRUING and indicator.unit.strip() != "%"
            row["to_date"] = _ahead(target.value, month) if accrues and target.value > 0 else indicator.value
            row["forecast"] = indicator.value
    data.update(problems=progress.problems, next_steps=progress.next_steps)
    return MonitoringReport.model_validate(data)


def _monitor(filing: Filing, reviewer: User) -> None:
    """Take a monitoring report through the workflow up to its ``state``, as its people would."""
    progress = PROGRESS[filing.department.code]
    if progress.state == "draft":
        return
    filer = User.objects.get(department=filing.department, role=Role.FILER)
    as_filer, as_reviewer = Actor(filer), Actor(reviewer)
    report = on_course(monitoring.report_of(filing.data), progress)
    filing, _ = monitoring.save(as_filer, filing, report, filing.revision)
    services.submit(as_filer, filing)
    filing.refresh_from_db()
    if progress.state == "returned":
        services.return_filing(as_reviewer, filing, [ReviewComment(*MONITORING_RETURN_COMMENT)])
    elif progress.state == "accepted":
        services.transition(as_reviewer, filing, "accept")


def demo_table(code: str, year: int) -> TargetTable:
    """The demo table of department ``code`` for ``year`` (a fresh copy; read once)."""
    return _read(f"jieyang-{code}-{year}.txt").model_copy(deep=True)


def seed_table() -> TargetTable:
    """A fresh copy of the real 2023 table of 揭阳市应急管理局."""
    return demo_table("yingji", 2023)


@cache
def _read(name: str) -> TargetTable:
    data = files("jixiao_web").joinpath("demo_data", name).read_bytes()
    return read_bytes(data, name).table


def _user(
    username: str, role: Role, department: Department | None, full_name: str, passwords: dict[str, str]
) -> User:
    password = secrets.token_urlsafe(9)
    user = User.objects.create_user(
        username,
        password=password,
        role=role,
        department=department,
        full_name=full_name,
        # reminders: an example address (example.gov.cn is never delivered to anyone)
        email=f"{username.replace('_', '.')}@example.gov.cn",
        is_staff=role == Role.ADMIN,
        is_superuser=role == Role.ADMIN,
    )
    passwords[username] = password
    return user


def load(data_dir: Path) -> bool:
    """Load the demo unless the database already has departments; True when loaded."""
    if Department.objects.exists():
        return False
    passwords: dict[str, str] = {}
    with transaction.atomic():
        city = City.current()
        city.name = CITY
        city.save()
        finance = Department.objects.create(code=FINANCE[0], name=FINANCE[1], is_finance_bureau=True)
        _user("admin", Role.ADMIN, finance, "系统管理员", passwords)
        reviewer = _user("shenhe1", Role.REVIEWER, finance, "张慧玲", passwords)
        _user("shenhe2", Role.REVIEWER, finance, "罗俊峰", passwords)
        now = timezone.now()
        FilingYear.objects.create(year=2023, deadline=now - timedelta(days=700), is_open=False)
        FilingYear.objects.create(year=OPEN_YEAR, deadline=now + timedelta(days=14))
        for code, name, competent, status in DEPARTMENTS:
            department = Department.objects.create(code=code, name=name, competent_department=competent)
            filer_name, head_name = PEOPLE[code]
            filer = _user(f"{code}_tianbao", Role.FILER, department, filer_name, passwords)
            _user(f"{code}_fuze", Role.HEAD, department, head_name, passwords)
            if code == "yingji":
                _walk(seed_table(), department, 2023, "published", filer, reviewer)
            elif status:
                _walk(demo_table(code, OPEN_YEAR), department, OPEN_YEAR, status, filer, reviewer)
        for year, deadline in ((2023, now - timedelta(days=300)), (OPEN_YEAR, now + timedelta(days=60))):
            # 2023's round is opened while its deadline is still ahead, and closed after.
            opened = selfeval.open_round(Actor(reviewer), year, VARIANTS["默认"], now + timedelta(days=60))
            for filing in opened.made:
                _evaluate(filing, _state_of(filing), reviewer)
            if deadline < now:
                selfeval.open_round(Actor(reviewer), year, VARIANTS["默认"], deadline)
        # monup: July 2024's monitoring, opened while its deadline was ahead; the reports came in
        # on time, and the deadline has passed since (one department has still not reported).
        opened_round = monitoring.open_round(
            Actor(reviewer), OPEN_YEAR, MONITORING_MONTH, VARIANTS["默认"], now + timedelta(days=30)
        )
        for filing in opened_round.made:
            _monitor(filing, reviewer)
        monitoring.open_round(Actor(reviewer), OPEN_YEAR, MONITORING_MONTH, VARIANTS["默认"], timezone.now())
    _save_passwords(data_dir, passwords)
    return True


def _walk(
    table: TargetTable, department: Department, year: int, status: str, filer: User, reviewer: User
) -> None:
    """Take a table through the workflow up to ``status``, as its people would."""
    as_filer, as_reviewer = Actor(filer), Actor(reviewer)
    closed = FilingYear.objects.filter(year=year, is_open=False)
    reopened = closed.update(is_open=True)  # a past year: filed when it was open
    filing = services.start_filing(as_filer, department, year, table)
    # A draft stays as started: work left, its planted errors.
    if status == "head_review":
        city = City.current()
        city.head_approval_required = True
        city.save()
        services.submit(as_filer, filing)
        city.head_approval_required = False
        city.save()
    elif status != "draft":
        services.submit(as_filer, filing)
        filing.refresh_from_db()
        if status == "returned":
            comments = [ReviewComment(section, row, text) for section, row, text in RETURN_COMMENTS]
            services.return_filing(as_reviewer, filing, comments, "中")
        elif status in ("approved", "published"):
            services.approve(as_reviewer, filing, "优")
            if status == "published":
                services.publish(as_reviewer, filing)
    if reopened:
        FilingYear.objects.filter(year=year).update(is_open=False)


def _state_of(filing: Filing) -> str:
    return next(s for c, y, s in SELFEVALS if (c, y) == (filing.department.code, filing.year))


def _money(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def filled(evaluation: SelfEvaluation, results: Results) -> SelfEvaluation:
    """``evaluation`` as its department fills it in with ``results``."""
    data = evaluation.model_dump(mode="json")
    copied = selfeval.approved_initial(evaluation)
    initial = copied["total"]
    if initial is None:  # the approved table shows no 年初预算数: the department gives it
        assert results.initial is not None, evaluation.approved.department.name
        initial = Decimal(results.initial)
    annual = Decimal(results.annual) if results.annual is not None else initial
    executed = Decimal(results.executed)
    other = copied["other"] or Decimal(0)
    funds = data["funds"]
    for name, row in (("total", (initial, annual, executed)), ("other", (other, other, other))):
        values = dict(zip(("initial_budget", "annual_budget", "executed"), row, strict=True))
        funds[name].update({k: str(v) for k, v in values.items()})
    funds["fiscal"].update(
        {k: str(Decimal(funds["total"][k]) - Decimal(funds["other"][k])) for k in funds["total"]}
    )
    funds["reason"] = results.reason
    rate = executed / annual
    for task, row in zip(evaluation.approved.tasks, data["tasks"], strict=True):
        row["executed"] = str(_money((task.amount or Decimal(0)) * rate))
        row["progress"] = (
            "已按年度计划实施完成。" if rate > Decimal("0.97") else "已实施，部分合同款结转下年支付。"
        )
    for number, (indicator, row) in enumerate(
        zip(evaluation.approved.indicators, data["indicators"], strict=True), 1
    ):
        qualitative = indicator.comparator == "定性"
        value, deviation = results.short.get(number, ("达成" if qualitative else indicator.value, ""))
        row["tier" if qualitative else "actual"] = value
        row["deviation"] = deviation
    data.update(
        goal_actual=results.goal_actual,
        conclusion=results.conclusion,
        problems=results.problems,
        improvements=results.improvements,
    )
    return SelfEvaluation.model_validate(data)


def _evaluate(filing: Filing, status: str, reviewer: User) -> None:
    """Take a self-evaluation through the workflow up to ``status``, as its people would."""
    if status == "draft":
        return
    filer = User.objects.get(department=filing.department, role=Role.FILER)
    as_filer, as_reviewer = Actor(filer), Actor(reviewer)
    evaluation = filled(selfeval.evaluation_of(filing.data), RESULTS[filing.department.code])
    filing, _ = selfeval.save(as_filer, filing, evaluation, filing.revision)
    services.submit(as_filer, filing)
    filing.refresh_from_db()
    if status == "returned":
        comments = [ReviewComment(section, row, text) for section, row, text in SELFEVAL_RETURN_COMMENTS]
        services.return_filing(as_reviewer, filing, comments)
    elif status in ("approved", "published"):
        if status == "approved":
            row, score, reason = SELFEVAL_REVIEW
            selfeval.review_score(as_reviewer, filing, row, score, reason)
        services.approve(as_reviewer, filing, "")
        if status == "published":
            services.publish(as_reviewer, filing)


def _save_passwords(data_dir: Path, passwords: dict[str, str]) -> None:
    path = data_dir / "demo-accounts.txt"
    lines = [f"{username}\t{password}" for username, password in passwords.items()]
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write("\n".join(lines) + "\n")


def require_password_changes(data_dir: Path) -> list[str]:
    """Outside demo mode, the printed demo passwords are known to anyone who saw the console: each
    demo account still on its printed password must change it at its next log-in."""
    path = data_dir / "demo-accounts.txt"
    if not path.exists():
        return []
    usernames = [line.split("\t")[0] for line in path.read_text().splitlines() if "\t" in line]
    return services.require_password_change(Actor(None), usernames)


def accounts(data_dir: Path) -> list[tuple[str, str, str]]:
    """(username, password, who) of the demo accounts still on the password saved at load."""
    path = data_dir / "demo-accounts.txt"
    if not path.exists():
        return []
    pairs = [line.split("\t") for line in path.read_text().splitlines() if "\t" in line]
    who = {
        u.username: f"{u.department.name if u.department else ''} {u.get_role_display()}"
        for u in User.objects.select_related("department").filter(password_changed_at__isnull=True)
    }
    return [(username, password, who[username]) for username, password in pairs if username in who]
