"""A crafted PDF that is cheap to send and dear to read: many pages of dense text, under the size
limit (issue 9: 200 pages × 25,000 characters, 5 MB, stalled the site for everyone)."""

from __future__ import annotations

import io


def crafted_pdf(pages: int = 200, per_page: int = 25_000, declared: int | None = None) -> bytes:
    """``pages`` pages of ``per_page`` characters each; the page tree's /Count says ``declared``."""
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets: dict[int, int] = {}

    def put(number: int, body: bytes) -> None:
        offsets[number] = out.tell()
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")

    first = 4
    kids = b" ".join(b"%d 0 R" % (first + 2 * i) for i in range(pages))
    put(1, b"<< /Type /Catalog /Pages 2 0 R >>")
    put(2, b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, pages if declared is None else declared))
    put(3, b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    line = b"x" * 250
    stream = (
        b"BT /F1 3 Tf 10 830 Td 3 TL " + b"".join(b"(%s) '\n" % line for _ in range(per_page // 250)) + b"ET"
    )
    for index in range(pages):
        number = first + 2 * index
        put(
            number,
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents %d 0 R"
            b" /Resources << /Font << /F1 3 0 R >> >> >>" % (number + 1),
        )
        put(number + 1, b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    xref = out.tell()
    size = first + 2 * pages
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % size)
    for number in range(1, size):
        out.write(b"%010d 00000 n \n" % offsets[number])
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, xref))
    return out.getvalue()
