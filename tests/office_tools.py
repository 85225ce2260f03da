"""Real programs the office tests drive: LibreOffice (headless) and poppler's pdftoppm/pdffonts."""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

from PIL import Image


def soffice_convert(source: Path, target: str, folder: Path) -> Path:
    """``source`` converted by LibreOffice to ``target`` (an extension, optionally ``ext:filter``)."""
    command = shutil.which("soffice") or shutil.which("libreoffice")
    assert command, "LibreOffice is missing: scripts/setup.sh installs it"
    with tempfile.TemporaryDirectory(prefix="lo-profile-") as profile:
        done = subprocess.run(
            [command, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
             "--convert-to", target, "--outdir", str(folder), str(source)],
            capture_output=True, text=True, timeout=180, check=False,
        )  # fmt: skip
    made = folder / f"{source.stem}.{target.split(':')[0]}"
    assert made.exists(), done.stderr + done.stdout
    return made


def soffice_to_pdf(sources: list[Path], folder: Path) -> list[Path]:
    """Each of ``sources`` made into a PDF by LibreOffice, all in one run (a second or two for each
    file instead of the program's start-up for each); stems must differ."""
    command = shutil.which("soffice") or shutil.which("libreoffice")
    assert command, "LibreOffice is missing: scripts/setup.sh installs it"
    with tempfile.TemporaryDirectory(prefix="lo-profile-") as profile:
        done = subprocess.run(
            [command, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
             "--convert-to", "pdf", "--outdir", str(folder), *map(str, sources)],
            capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
    made = [folder / f"{source.stem}.pdf" for source in sources]
    assert all(pdf.exists() for pdf in made), done.stderr + done.stdout
    return made


def pdf_pages_as_png(pdf: Path, folder: Path, dpi: int = 50) -> list[Path]:
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-png", str(pdf), str(folder / "page")], check=True, timeout=120
    )
    return sorted(folder.glob("page-*.png"))


def ink_at_edges(png: Path, band: int = 4) -> bool:
    """True when anything is drawn within ``band`` pixels of the page edge (something was cut)."""
    with Image.open(png) as image:
        grey = image.convert("L")
        width, height = grey.size
        strips = [
            grey.crop((0, 0, width, band)),
            grey.crop((0, height - band, width, height)),
            grey.crop((0, 0, band, height)),
            grey.crop((width - band, 0, width, height)),
        ]
        return any(strip.getextrema()[0] < 200 for strip in strips)


def embedded_fonts(pdf: Path) -> list[tuple[str, bool]]:
    """(font name, embedded?) for each font pdffonts lists."""
    out = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    rows = out.splitlines()[2:]
    return [(row.split()[0], row.split()[-5] == "yes") for row in rows if row.strip()]


def replace_entry(package: bytes, name: str, content: bytes) -> bytes:
    """A copy of the zip ``package`` with entry ``name`` holding ``content``."""
    source = zipfile.ZipFile(io.BytesIO(package))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item, content if item.filename == name else source.read(item.filename))
    return out.getvalue()


def zip_bomb(expanded: int) -> bytes:
    """A small XLSX-looking package whose one sheet expands to more than ``expanded`` bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", "<Types/>")
        with package.open("xl/worksheets/sheet1.xml", "w") as entry:
            block = b"\0" * (1024 * 1024)
            for _ in range(expanded // len(block) + 1):
                entry.write(block)
    return out.getvalue()
