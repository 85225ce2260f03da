"""What every form made FROM an approved table shares (the self-evaluation, the monitoring report):
its page, and its workbook on one grid of columns.

:func:`form_page` draws a form's blocks as a standalone HTML page (the PDF is rendered from it);
:func:`form_workbook` lays them out on one sheet; :func:`fillable_workbook` makes the workbook a
department fills: the copied parts locked (sheet protection without a password: it guards against
slips, not people), the :class:`jixiao.write.layout.FillCell` cells unlocked and coloured, each
list of choices as a data validation, and the instructions on a sheet of their own.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Generic, Protocol, TypeVar

from openpyxl import Workbook
from openpyxl.cell.cell import Cell as OpenpyxlCell
from openpyxl.cell.cell import MergedCell
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from pydantic import BaseModel

from jixiao.findings import Report
from jixiao.profile import DEFAULT, Profile
from jixiao.write import UnsupportedOutput, xlsx
from jixiao.write.layout import Block, Cell, FillCell

#: The colour that marks a cell to fill.
FILL_COLOUR: Final = "FFF2CC"
_UNLOCKED: Final = Protection(locked=False)
_MARKED: Final = PatternFill("solid", fgColor=FILL_COLOUR)


def form_page(title: str, blocks: list[Block], captions: Sequence[str], mark: str = "") -> str:
    """The form's blocks as a standalone HTML page: its own tables (those without a name) take
    ``captions`` in turn (for screen readers), the first with the 金额单位 line above it."""
    from jixiao.write.html import block_html, page

    parts: list[str] = []
    own = iter(captions)
    first = captions[0] if captions else ""
    for block in blocks:
        caption = next(own, "") if block.kind == "table" and block.name == "" else ""
        if caption and caption == first:
            parts.append('<p class="unit">金额单位：万元</p>')
        part = block_html(block, caption=caption)
        if part:
            parts.append(part)
    return page(title, "\n".join(parts), mark)


def page_pdf(html: str) -> bytes:
    """A page of :func:`form_page` as a PDF (A4, fonts embedded)."""
    from jixiao.write.pdf import _weasyprint

    weasyprint, fonts = _weasyprint()
    pdf: bytes = weasyprint.HTML(string=html).write_pdf(font_config=fonts)
    return pdf


def _columns(block: Block) -> list[tuple[int, int]]:
    """The form's own tables use the sheet's columns one to one; the approved table's blocks are
    spread over them as on the target table's own sheet."""
    if block.name in {"main", "indicators"}:
        return xlsx._physical_columns(block)
    return [(c, c) for c in range(block.columns)]


#: The cells to fill that have lists, by their choices, whether the list only suggests, and kind.
Lists = dict[tuple[tuple[str, ...], bool, str], list[str]]


@dataclass(slots=True)
class _Marker:
    """Marks the cells to fill of a workbook to fill (unlocked, coloured) and notes their lists."""

    fillable: bool
    lists: Lists = field(default_factory=dict)

    def __call__(self, target: OpenpyxlCell | MergedCell, cell: Cell) -> int:
        if not (self.fillable and isinstance(cell, FillCell)):
            return 1
        target.protection, target.fill = _UNLOCKED, _MARKED
        if cell.choices:
            self.lists.setdefault((cell.choices, cell.free, cell.fill), []).append(target.coordinate)
        return 4 if cell.role == "goal" else 1  # room to write in


@dataclass(frozen=True, slots=True)
class ListText:
    """What a data-validation list tells the person filling a cell: its title, a prompt and the
    message shown when something else is typed."""

    title: str
    prompt: str
    error: str


def form_workbook(
    blocks: list[Block],
    sheet_title: str,
    widths: tuple[float, ...],
    *,
    fillable: bool = False,
    landscape: bool = False,
) -> tuple[Workbook, Worksheet, Lists]:
    """A workbook with the form laid out on its first sheet, and the coordinates of the cells to
    fill that have lists (by their choices, whether the list only suggests, and their kind)."""
    workbook = Workbook()
    xlsx.add_styles(workbook)
    sheet = workbook.active
    assert sheet is not None
    sheet.title = sheet_title
    return workbook, sheet, form_sheet(sheet, blocks, widths, fillable=fillable, landscape=landscape)


def form_sheet(
    sheet: Worksheet,
    blocks: list[Block],
    widths: tuple[float, ...],
    *,
    fillable: bool = False,
    landscape: bool = False,
) -> Lists:
    """Lay the form out on ``sheet`` (of a workbook given :func:`jixiao.write.xlsx.add_styles`);
    the coordinates of the cells to fill that have lists."""
    marker = _Marker(fillable)
    xlsx.write_blocks(sheet, blocks, widths, landscape=landscape, columns=_columns, each=marker)
    return marker.lists


def fillable_workbook(
    blocks: list[Block],
    sheet_title: str,
    widths: tuple[float, ...],
    *,
    instructions_title: str,
    instructions: Sequence[str],
    list_texts: dict[str, ListText],
    landscape: bool = False,
) -> bytes:
    """The workbook a department fills (see the module's docstring); ``list_texts`` by a
    :class:`FillCell`'s ``fill``."""
    workbook, sheet, lists = form_workbook(blocks, sheet_title, widths, fillable=True, landscape=landscape)
    for (choices, free, kind), coordinates in lists.items():
        text = list_texts[kind]
        validation = DataValidation(
            type="list",
            formula1='"' + ",".join(choices) + '"',
            allow_blank=True,
            showErrorMessage=not free,  # a suggesting list lets several choices be written
            errorTitle=text.title,
            error=text.error,
            promptTitle=text.title,
            prompt=text.prompt,
            showInputMessage=True,
        )
        for coordinate in coordinates:
            validation.add(coordinate)
        sheet.add_data_validation(validation)
    sheet.protection.sheet = True
    sheet.protection.formatColumns = sheet.protection.formatRows = False  # widths may change
    notes = workbook.create_sheet(instructions_title)
    for number, line in enumerate(instructions, start=1):
        cell = notes.cell(row=number, column=1, value=line)
        cell.font = Font(name=xlsx.FONT_NAME, size=14 if number == 1 else 10.5, bold=number == 1)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        notes.row_dimensions[number].height = 22 if number == 1 else 48
    notes.column_dimensions["A"].width = 100
    notes.protection.sheet = True
    return saved(workbook)


@dataclass(frozen=True, slots=True)
class FieldTitles:
    """A finding's field as a form names it: the ``words`` given, else the first of ``models``
    with a field of that name gives its title (``measures`` → 纠偏措施)."""

    models: tuple[type[BaseModel], ...]
    words: dict[str, str] = field(default_factory=dict)

    def __call__(self, section: str | None, name: str | None) -> str:
        if not name:
            return ""
        if name in self.words:
            return self.words[name]
        for model in self.models:
            info = model.model_fields.get(name)
            if info is not None and info.title:
                return info.title
        return ""


class Document(Protocol):
    """A form's document (a self-evaluation, a monitoring report): it has its canonical JSON."""

    def to_json(self) -> str: ...


DocumentT = TypeVar("DocumentT", bound=Document)


@dataclass(frozen=True, slots=True)
class FormWriters(Generic[DocumentT]):
    """Every format of one kind of form, drawn from its layout (``blocks``: the document, its
    profile, and whether computed figures are shown): one registry of extensions for
    ``jixiao convert`` and the library.  The XLSX holds computed values (never formulas) and the
    findings (``check``'s, unless given) on a second sheet."""

    blocks: Callable[[DocumentT, Profile, bool], list[Block]]
    title: Callable[[DocumentT], str]
    captions: tuple[str, ...]
    check: Callable[[DocumentT, Profile], Report]
    sheet: str
    widths: tuple[float, ...]
    sections: dict[str, str]
    field_title: Callable[[str | None, str | None], str]
    landscape: bool = False

    def html(self, document: DocumentT, profile: Profile = DEFAULT) -> str:
        """A standalone, printable HTML page (A4; landscape where the form is wide)."""
        mark = _LANDSCAPE if self.landscape else ""
        return form_page(self.title(document), self.blocks(document, profile, True), self.captions, mark)

    def text(self, document: DocumentT, profile: Profile = DEFAULT) -> str:
        """The text form (tab-separated rows)."""
        from jixiao.write.text import blocks_text

        return blocks_text(self.blocks(document, profile, True))

    def docx(self, document: DocumentT, profile: Profile = DEFAULT) -> bytes:
        """A Word document."""
        from jixiao.write.docx import blocks_docx

        return blocks_docx(self.blocks(document, profile, True))

    def pdf(self, document: DocumentT, profile: Profile = DEFAULT) -> bytes:
        """A PDF (fonts embedded), rendered from the HTML page."""
        return page_pdf(self.html(document, profile))

    def xlsx(self, document: DocumentT, profile: Profile = DEFAULT, report: Report | None = None) -> bytes:
        """An XLSX workbook: the form with computed values, and the findings on a second sheet."""
        workbook, _, _ = form_workbook(
            self.blocks(document, profile, True), self.sheet, self.widths, landscape=self.landscape
        )
        findings = workbook.create_sheet(xlsx.FINDINGS_SHEET)
        checked = report if report is not None else self.check(document, profile)
        xlsx._findings_sheet(findings, checked, self.sections, self.field_title)
        return saved(workbook)

    @property
    def writers(self) -> dict[str, Callable[[DocumentT, Profile, Report | None], bytes]]:
        """Extension → the function giving a file's bytes."""
        return {
            ".json": lambda document, profile, report: (document.to_json() + "\n").encode(),
            ".txt": lambda document, profile, report: self.text(document, profile).encode(),
            ".html": lambda document, profile, report: self.html(document, profile).encode(),
            ".htm": lambda document, profile, report: self.html(document, profile).encode(),
            ".xlsx": self.xlsx,
            ".docx": lambda document, profile, report: self.docx(document, profile),
            ".pdf": lambda document, profile, report: self.pdf(document, profile),
        }

    def write_bytes(
        self, document: DocumentT, suffix: str, profile: Profile = DEFAULT, report: Report | None = None
    ) -> bytes:
        """The document as the bytes of a file with extension ``suffix``."""
        writers = self.writers
        writer = writers.get(suffix.lower())
        if writer is None:
            known = "、".join(sorted(writers))
            raise UnsupportedOutput(f"不支持输出为“{suffix or '无扩展名'}”格式，可用：{known}")
        return writer(document, profile, report)

    def write_path(
        self, document: DocumentT, path: str | Path, profile: Profile = DEFAULT, report: Report | None = None
    ) -> None:
        """Write the document to ``path`` in the format its extension names."""
        Path(path).write_bytes(self.write_bytes(document, Path(path).suffix, profile, report))


#: A wide form (the monitoring report's twelve columns) is printed across an A4 page.
_LANDSCAPE: Final = "<style>@page { size: A4 landscape; } body { max-width: 273mm; }</style>\n"


def saved(workbook: Workbook) -> bytes:
    """The workbook's bytes."""
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
