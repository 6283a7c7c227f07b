"""Render the app icon's PNG sizes (and the Windows .ico / macOS .icns) from its SVG.

The SVG in resources/icons is the one source; the rendered files are committed so neither a
build nor the app needs an SVG renderer at run time. Run after editing the SVG:

    python packaging/make_icons.py
"""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ICONS = ROOT / "resources" / "icons"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(ICONS / "streamscope.svg"))
    if not renderer.isValid():
        print("cannot read streamscope.svg", file=sys.stderr)
        return 1
    images: dict[int, QImage] = {}
    for size in SIZES:
        img = QImage(size, size, QImage.Format.Format_ARGB32)
        img.fill(Qt.GlobalColor.transparent)
        with _painter(QPainter(img)) as p:
            p.setRenderHint(QPainter.RenderHint.Antialiasing)
            renderer.render(p)
        images[size] = img
        out = ICONS / f"streamscope-{size}.png"
        if not img.save(str(out), "PNG"):
            print(f"cannot write {out}", file=sys.stderr)
            return 1
    pngs = {size: (ICONS / f"streamscope-{size}.png").read_bytes() for size in SIZES}
    (ICONS / "streamscope.ico").write_bytes(ico({s: pngs[s] for s in (16, 24, 32, 48, 64, 256)}))
    (ICONS / "streamscope.icns").write_bytes(icns(pngs))
    print(f"wrote {len(SIZES)} PNG sizes, .ico and .icns to {ICONS.relative_to(ROOT)}")
    return 0


def ico(pngs: dict[int, bytes]) -> bytes:
    """A Windows .ico holding several sizes as PNG entries (read by Windows Vista and later)."""
    head = struct.pack("<HHH", 0, 1, len(pngs))
    offset = len(head) + 16 * len(pngs)
    entries, blobs = b"", b""
    for size, data in sorted(pngs.items()):
        dim = 0 if size >= 256 else size  # 0 means 256 in an icon directory entry
        entries += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(data), offset + len(blobs))
        blobs += data
    return head + entries + blobs


# icns element types that hold PNG data, by pixel size
ICNS_TYPES = {16: b"icp4", 32: b"icp5", 64: b"icp6", 128: b"ic07", 256: b"ic08", 512: b"ic09"}


def icns(pngs: dict[int, bytes]) -> bytes:
    """A macOS .icns holding the PNG sizes it has element types for."""
    body = b"".join(
        kind + struct.pack(">I", 8 + len(pngs[size])) + pngs[size]
        for size, kind in ICNS_TYPES.items()
        if size in pngs
    )
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


class _painter:
    """QPainter must end before its image is saved."""

    def __init__(self, painter) -> None:
        self.painter = painter

    def __enter__(self):
        return self.painter

    def __exit__(self, *exc: object) -> None:
        self.painter.end()


if __name__ == "__main__":
    raise SystemExit(main())
