"""Benchmark: ``jixiao check --json`` on a batch of seed-sized tables, against the floor.

The floor (``bench/floor.py``) reads the same files, splits them into cells and dumps them as JSON;
both run as fresh processes on the same files in the same run, so the ratio holds on a noisy
machine.  Peak memory (max RSS of the process) is measured for growing batches: reports are
streamed, so it should stay flat.

Usage: ``.venv/bin/python bench/check_batch.py [--files 2000] [--repeat 3]``.  Figures are printed
as a table and written to ``bench/out/check_batch.json``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from common import ROOT, SEED, microseconds_per_call, save

JIXIAO = Path(sys.executable).with_name("jixiao")


def make_batch(folder: Path, count: int) -> None:
    """``count`` tables the size of the seed, each a little different (name, amounts, one error in ten)."""
    seed = SEED.read_text(encoding="utf-8")
    for number in range(count):
        text = seed.replace("揭阳市应急管理局", f"揭阳市第{number}局").replace(
            "\t43\t", f"\t{40 + number % 50}\t"
        )
        if number % 10 == 0:
            text = text.replace("565.58075", str(Decimal("565.58075") + number))
        (folder / f"{number:05d}.txt").write_text(text, encoding="utf-8")


def run(command: list[str], allow: tuple[int, ...] = (0, 1)) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of one process, its output thrown away; an exit code not in
    ``allow`` stops the benchmark."""
    started = time.perf_counter()
    with open(os.devnull, "wb") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    if code not in allow:
        raise SystemExit(
            f"{command[0]} exited {code}: {process.stderr.read().decode() if process.stderr else ''}"
        )
    return elapsed, usage.ru_maxrss


def phases(repeat: int = 500) -> dict[str, float]:
    """Microseconds per seed table for each step, in this process (after imports)."""
    from jixiao.check import check_table
    from jixiao.read import read_bytes

    data = SEED.read_bytes()
    result = read_bytes(data, "seed.txt")
    report = check_table(result.table, "seed.txt", result.findings)
    steps = {
        "read": lambda: read_bytes(data, "seed.txt"),
        "rules": lambda: check_table(result.table, "seed.txt", result.findings),
        "report_json": report.to_json,
    }
    return microseconds_per_call(steps, repeat)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    results: dict[str, object] = {"files": args.files, "repeat": args.repeat}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "batch"
        folder.mkdir()
        make_batch(folder, args.files)
        commands = {
            "jixiao check --json": [str(JIXIAO), "check", "--json", str(folder)],
            "jixiao check --json -j 1": [str(JIXIAO), "check", "--json", "-j", "1", str(folder)],
            "floor": [sys.executable, str(ROOT / "bench" / "floor.py"), str(folder)],
        }
        run(commands["jixiao check --json"])  # warm the file cache and the bytecode
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.repeat):  # interleaved, so all see the same machine
            for name, command in commands.items():
                times[name].append(run(command)[0])
        best = {name: min(values) for name, values in times.items()}
        startup = min(run([str(JIXIAO), "check", "--json", str(SEED)])[0] for _ in range(args.repeat))
        results["seconds"] = best
        results["startup_seconds"] = startup
        results["ratio"] = {name: best[name] / best["floor"] for name in commands if name != "floor"}

        memory = {}
        for count in (args.files // 4, args.files // 2, args.files):
            part = Path(tmp) / f"part{count}"
            part.mkdir()
            for path in sorted(folder.iterdir())[:count]:
                os.link(path, part / path.name)
            memory[count] = run([str(JIXIAO), "check", "--json", "-j", "1", str(part)])[1]
        results["peak_rss_kib_one_process"] = memory
    results["microseconds_per_table"] = phases()

    print(f"{args.files} 份与样表同样大小的目标表，每个命令 {args.repeat} 次交替运行，取最快：")
    for name, seconds in best.items():
        ratio = f"{seconds / best['floor']:6.2f} × floor" if name != "floor" else ""
        print(f"  {name:26s} {seconds:6.2f} s  {ratio}")
    print(f"  （jixiao 启动时间 {startup:.2f} s，已含在上面）")
    per_table = results["microseconds_per_table"]
    assert isinstance(per_table, dict)
    print("  单份耗时（进程内）：" + "，".join(f"{k} {v:.0f} µs" for k, v in per_table.items()))
    print(
        "  内存峰值（单进程，RSS）：" + "，".join(f"{n} 份 {kib / 1024:.1f} MiB" for n, kib in memory.items())
    )
    save("check_batch", results)


if __name__ == "__main__":
    main()
