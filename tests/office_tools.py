"""Real programs the office tests drive: LibreOffice (headless) and poppler's pdftoppm/pdffonts."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
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
