"""Deltascope's application icon: gui/icons/deltascope.svg, and PNGs rendered from it.

The window and the application use the PNGs (no SVG image plugin needed at run time); the
desktop file (assets/deltascope.desktop) names the icon `deltascope`, installed as the README
says. After editing the SVG, render the PNGs again with `python -m gui.app.app_icon`.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QIcon, QImage, QPainter

ICON_FOLDER = Path(__file__).resolve().parents[1] / "icons"
ICON_SVG = ICON_FOLDER / "deltascope.svg"
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256)


def icon_png(size: int) -> Path:
    return ICON_FOLDER / f"deltascope-{size}.png"


def app_icon() -> QIcon:
    """The icon at every rendered size (empty if the files are missing)."""
    icon = QIcon()
    for size in ICON_SIZES:
        if icon_png(size).is_file():
            icon.addFile(str(icon_png(size)))
    return icon


def render_pngs() -> None:
    """Render the SVG to a PNG of each size in ICON_SIZES (needs a QGuiApplication)."""
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(ICON_SVG))
    if not renderer.isValid():
        raise ValueError(f"{ICON_SVG}: not a valid SVG")
    for size in ICON_SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        if not image.save(str(icon_png(size))):
            raise OSError(f"cannot write {icon_png(size)}")


if __name__ == "__main__":
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication(sys.argv[:1])
    render_pngs()
    print(f"rendered {', '.join(map(str, ICON_SIZES))} px PNGs in {ICON_FOLDER}")
