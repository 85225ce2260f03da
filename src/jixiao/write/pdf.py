"""The PDF writer: the HTML page rendered by WeasyPrint with the Noto CJK fonts embedded.

WeasyPrint is imported on first use (it takes a while); its font configuration is kept, so a
second table costs far less than the first.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from jixiao.model import TargetTable
from jixiao.write.html import write_html
from jixiao.write.layout import Signature


@cache
def _weasyprint() -> tuple[Any, Any]:
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration

    return weasyprint, FontConfiguration()


def write_pdf(table: TargetTable, *, signature: Signature | None = None, watermark: str = "") -> bytes:
    """The table as a PDF (A4), fonts embedded; with the lines to sign on (``signature``) and a
    word across every page (``watermark``, such as 草稿) when given."""
    weasyprint, fonts = _weasyprint()
    document = weasyprint.HTML(string=write_html(table, signature=signature, watermark=watermark))
    pdf: bytes = document.write_pdf(font_config=fonts)
    return pdf
