"""Benchmark: reading and writing the seed in each format, against the bare library doing its part.

For each format the bare library does only what it must (openpyxl ``load_workbook``, xlrd
``open_workbook``, python-docx ``Document``, pdfplumber ``extract_tables``, lxml parsing a page;
for writing, the same library putting the same cells in a file); jixiao's time is shown as a ratio
to it, measured in one run.  PDF writing is timed for the first table in a fresh process (fonts
load) and for each table after.

Usage: ``.venv/bin/python bench/formats.py [--repeat 15]``; figures also go to
``bench/out/formats.json``.
"""

from __future__ import annotations

import argparse
import io
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

from common import ROOT, SEED, save

OFFICE = ROOT / "tests" / "fixtures" / "office"


def timed(step: Callable[[], object], repeat: int) -> float:
    """Median seconds of ``repeat`` runs after one warm-up."""
    step()
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        step()
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()

    import docx
    import lxml.html
    import openpyxl
    import pdfplumber
    import xlrd

    from jixiao.read import read_bytes, read_path
    from jixiao.write import write_bytes
    from jixiao.write.layout import grid_of, layout

    table = read_path(SEED).table
    files = {suffix: write_bytes(table, suffix) for suffix in (".xlsx", ".docx", ".pdf", ".html")}
    files[".xls"] = (OFFICE / "seed.jixiao.xls").read_bytes()
    grids = [
        [[cell.text if cell else "" for cell in row] for row in grid_of(block)]
        for block in layout(table)
        if block.kind == "table"
    ]

    def bare_xlsx_write() -> bytes:
        book = openpyxl.Workbook()
        sheet = book.active
        assert sheet is not None
        for grid in grids:
            for row in grid:
                sheet.append(row)
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()

    def bare_docx_write() -> bytes:
        document = docx.Document()
        for grid in grids:
            word_table = document.add_table(rows=len(grid), cols=len(grid[0]))
            for r, row in enumerate(grid):
                for c, text in enumerate(row):
                    word_table.cell(r, c).text = text
        out = io.BytesIO()
        document.save(out)
        return out.getvalue()

    def bare_pdf_read() -> object:
        with pdfplumber.open(io.BytesIO(files[".pdf"])) as pdf:
            return [page.extract_tables() for page in pdf.pages]

    pairs: dict[str, tuple[Callable[[], object], Callable[[], object], int]] = {
        "xlsx 读": (
            lambda: read_bytes(files[".xlsx"], "t.xlsx"),
            lambda: openpyxl.load_workbook(io.BytesIO(files[".xlsx"])),
            args.repeat,
        ),
        "xlsx 写": (lambda: write_bytes(table, ".xlsx"), bare_xlsx_write, args.repeat),
        "xls 读": (
            lambda: read_bytes(files[".xls"], "t.xls"),
            lambda: xlrd.open_workbook(file_contents=files[".xls"], formatting_info=True),
            args.repeat,
        ),
        "docx 读": (
            lambda: read_bytes(files[".docx"], "t.docx"),
            lambda: docx.Document(io.BytesIO(files[".docx"])),
            args.repeat,
        ),
        "docx 写": (lambda: write_bytes(table, ".docx"), bare_docx_write, args.repeat),
        "html 读": (
            lambda: read_bytes(files[".html"], "t.html"),
            lambda: lxml.html.document_fromstring(files[".html"]),
            args.repeat,
        ),
        "pdf 读": (lambda: read_bytes(files[".pdf"], "t.pdf"), bare_pdf_read, max(3, args.repeat // 3)),
    }
    results: dict[str, dict[str, float]] = {}
    print(f"样表（10 项任务、5 个指标），每项取 {args.repeat} 次的中位数：")
    print(f"  {'':8s} {'jixiao':>10s} {'库本身':>10s} {'比值':>7s}")
    for name, (ours, bare, repeat) in pairs.items():
        ours_seconds, bare_seconds = timed(ours, repeat), timed(bare, repeat)
        results[name] = {
            "jixiao_ms": ours_seconds * 1000,
            "bare_ms": bare_seconds * 1000,
            "ratio": ours_seconds / bare_seconds,
        }
        print(
            f"  {name:8s} {ours_seconds * 1000:8.1f}ms {bare_seconds * 1000:8.1f}ms {ours_seconds / bare_seconds:6.2f}×"
        )

    first = subprocess.run(
        [sys.executable, "-c", "import time,sys;from jixiao.read import read_path;from jixiao.write import write_bytes;"
         "t=read_path(sys.argv[1]).table;s=time.perf_counter();write_bytes(t,'.pdf');print(time.perf_counter()-s)", str(SEED)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    first_pdf = float(first.stdout.strip())
    next_pdf = timed(lambda: write_bytes(table, ".pdf"), max(3, args.repeat // 3))
    results["pdf 写"] = {"first_table_s": first_pdf, "each_next_table_s": next_pdf}
    print(f"  pdf 写    第一份（新进程，含加载字体）{first_pdf:.2f} s，之后每份 {next_pdf:.2f} s")
    save("formats", results)


if __name__ == "__main__":
    main()
