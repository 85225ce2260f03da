"""Benchmark: scoring and checking 1,000 self-evaluations from the command line, as a ratio to
checking the same number of target tables (issue 11, item 9, the library's half).

The batch is made from the seed: each self-evaluation is the seed's table with varied actuals,
funds, deviations and texts (one in ten with an error), written by jixiao's own writer; the target
tables are the seed's table varied the same way (name, amounts), in the same format, so that the
ratio is the cost of a self-evaluation over a target table and not of one format over another.
``jixiao check --json`` (every core, and ``-j 1``) and ``jixiao score --json`` (one process) run
as fresh processes on the folders in the same run, interleaved, best of ``--repeat``.

Usage: ``.venv/bin/python bench/selfeval_batch.py [--files 1000] [--repeat 3] [--format txt]``.
Figures are printed and written to ``bench/out/selfeval_batch.json`` (``_xlsx`` for xlsx).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from check_batch import JIXIAO, run
from common import SEED, microseconds_per_call, save
from jixiao.check import check_selfeval, check_table
from jixiao.model import TargetTable
from jixiao.model.selfeval import SelfEvaluation
from jixiao.profile import DEFAULT
from jixiao.read import read_bytes
from jixiao.scoring import score
from jixiao.write import write_bytes
from jixiao.write.selfeval import write_selfeval_bytes

#: Per seed indicator (in table order): a few actuals to cycle through, and a deviation text.
ACTUALS = (
    ("4", "3", "5", "2", "4"),
    ("100", "95", "100", "90", "100"),
    ("3", "3.5", "2.5", "4", "3"),
    ("100", "98", "100", "97", "99"),
    ("7*24", "160", "7*24", "7*24", "150"),
)
DEVIATION = "受汛期影响部分工作顺延，已调整工作计划并增加人员，确保下一年度按期完成。"


def seed_table() -> TargetTable:
    return read_bytes(SEED.read_bytes(), "seed.txt").table


def table_variant(seed: TargetTable, number: int) -> TargetTable:
    """The seed's table with its own department name and amounts (one in ten off by a sum)."""
    table = seed.model_copy(deep=True)
    table.department.name = f"揭阳市第{number}局"
    table.department.staff_count = 40 + number % 50
    if number % 10 == 0 and table.budget.project_expenditure is not None:
        table.budget.project_expenditure += 1 + number  # no longer the tasks' total: an error
    return table


def selfeval_variant(seed: TargetTable, number: int) -> SelfEvaluation:
    """A filled self-evaluation of the seed's table: varied actuals, funds and texts; one in ten
    without an actual (an error)."""
    made = SelfEvaluation.from_table(table_variant(seed, number))
    total = made.funds.total
    total.initial_budget = total.annual_budget = Decimal("565.58075")
    total.executed = Decimal("565.58075") * Decimal(80 + number % 21) / 100
    made.funds.reason = "部分项目受汛期影响延后支付，已督促加快执行进度，确保资金及时发挥效益。"
    for index, result in enumerate(made.indicators):
        values = ACTUALS[index % len(ACTUALS)]
        result.actual = values[number % len(values)]
        result.deviation = DEVIATION
    if number % 10 == 0:
        made.indicators[0].actual = None
    made.goal_actual = (
        "全年开展安全审查检查，编制应急预案全覆盖，应急处置及时到达，抢险救灾有力，监测预警全年值守。"
    )
    made.conclusion, made.problems, made.improvements = "基本完成年度目标。", "检查偏少。", "提前排期。"
    return made


def make_batches(root: Path, count: int, suffix: str) -> tuple[Path, Path]:
    seed = seed_table()
    tables, evaluations = root / "tables", root / "selfevals"
    tables.mkdir()
    evaluations.mkdir()
    for number in range(count):
        (tables / f"{number:05d}{suffix}").write_bytes(write_bytes(table_variant(seed, number), suffix))
        (evaluations / f"{number:05d}{suffix}").write_bytes(
            write_selfeval_bytes(selfeval_variant(seed, number), suffix)
        )
    return tables, evaluations


def phases(suffix: str, repeat: int = 200) -> dict[str, float]:
    """Microseconds per document for each step, in this process (after imports)."""
    from jixiao.read.document import read_document

    seed = seed_table()
    table_data = write_bytes(table_variant(seed, 1), suffix)
    selfeval_data = write_selfeval_bytes(selfeval_variant(seed, 1), suffix)
    table = read_bytes(table_data, "t").table
    evaluation = selfeval_variant(seed, 1)
    steps = {
        "read_table": lambda: read_bytes(table_data, f"t{suffix}"),
        "rules_table": lambda: check_table(table, "t"),
        "read_selfeval": lambda: read_document(selfeval_data, f"s{suffix}"),
        "score_selfeval": lambda: score(evaluation, DEFAULT),
        "rules_selfeval": lambda: check_selfeval(evaluation, DEFAULT, "s"),
    }
    return microseconds_per_call(steps, repeat)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--format", choices=("txt", "xlsx", "html", "docx", "json"), default="txt")
    args = parser.parse_args()
    suffix = f".{args.format}"

    results: dict[str, object] = {"files": args.files, "repeat": args.repeat, "format": args.format}
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        tables, evaluations = make_batches(Path(tmp), args.files, suffix)
        results["make_seconds"] = time.perf_counter() - started
        jixiao = str(JIXIAO)
        commands = {
            "check --json 目标表": [jixiao, "check", "--json", str(tables)],
            "check --json 自评表": [jixiao, "check", "--json", str(evaluations)],
            "check --json -j 1 目标表": [jixiao, "check", "--json", "-j", "1", str(tables)],
            "check --json -j 1 自评表": [jixiao, "check", "--json", "-j", "1", str(evaluations)],
            "score --json 自评表": [jixiao, "score", "--json", str(evaluations)],
        }
        run(commands["check --json 自评表"])  # warm the file cache and the bytecode
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.repeat):  # interleaved, so all see the same machine
            for name, command in commands.items():
                times[name].append(run(command, allow=(0, 1, 2))[0])
        best = {name: min(values) for name, values in times.items()}
    results["seconds"] = best
    results["ratio_to_tables"] = {
        "check (every core)": best["check --json 自评表"] / best["check --json 目标表"],
        "check -j 1": best["check --json -j 1 自评表"] / best["check --json -j 1 目标表"],
        "score (one process) / check -j 1 目标表": best["score --json 自评表"]
        / best["check --json -j 1 目标表"],
    }
    results["milliseconds_per_file"] = {name: seconds / args.files * 1000 for name, seconds in best.items()}
    results["microseconds_per_document"] = phases(suffix)

    print(
        f"{args.files} 份由样表生成的绩效自评表（{args.format}）和同样多的目标表，每个命令 {args.repeat} 次交替运行，取最快："
    )
    for name, seconds in best.items():
        print(f"  jixiao {name:26s} {seconds:7.2f} s  {seconds / args.files * 1000:6.2f} ms/份")
    ratio = results["ratio_to_tables"]
    assert isinstance(ratio, dict)
    print("  与目标表之比：" + "，".join(f"{name} {value:.2f}" for name, value in ratio.items()))
    per_document = results["microseconds_per_document"]
    assert isinstance(per_document, dict)
    print("  单份耗时（进程内）：" + "，".join(f"{k} {v:.0f} µs" for k, v in per_document.items()))
    path = save("selfeval_batch" if args.format == "txt" else f"selfeval_batch_{args.format}", results)
    print(f"  已写入 {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
