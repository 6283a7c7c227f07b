"""resources/: found from a checkout, a PyInstaller bundle (sys._MEIPASS) or an override;
the icon files are complete and consistent; the window gets the icon."""

from __future__ import annotations

import struct
import sys
from pathlib import Path

import pytest

from streamscope import resources
from streamscope.resources import ResourceNotFound, icon_paths, resource_path
from support.paths import ROOT

SIZES = [16, 24, 32, 48, 64, 128, 256, 512]


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", data[16:24])


def test_found_in_the_checkout():
    path = resource_path("icons/streamscope-64.png")
    assert path == ROOT / "resources" / "icons" / "streamscope-64.png"


def test_a_bundle_folder_is_searched_before_the_checkout(tmp_path, monkeypatch):
    bundled = tmp_path / "resources" / "streamscope.desktop"
    bundled.parent.mkdir()
    bundled.write_text("[Desktop Entry]\n")
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert resource_path("streamscope.desktop") == bundled
    # what the bundle lacks still comes from the next place searched
    assert resource_path("icons/streamscope-16.png").parent == ROOT / "resources" / "icons"


def test_the_override_folder_comes_first(tmp_path, monkeypatch):
    (tmp_path / "icons").mkdir()
    own = tmp_path / "icons" / "streamscope-16.png"
    own.write_bytes(b"x")
    monkeypatch.setenv(resources.ENV_OVERRIDE, str(tmp_path))
    assert resource_path("icons/streamscope-16.png") == own
    assert resources.resource_dirs()[0] == tmp_path


@pytest.mark.parametrize("name", ["", "../pyproject.toml", "/etc/passwd", "icons\\x.png"])
def test_names_outside_the_folder_are_refused(name):
    with pytest.raises(ValueError, match="relative paths"):
        resource_path(name)


def test_a_missing_resource_says_where_it_looked():
    with pytest.raises(ResourceNotFound) as e:
        resource_path("no-such-file.qss")
    assert isinstance(e.value, FileNotFoundError)
    assert "no-such-file.qss" in str(e.value) and str(ROOT / "resources") in str(e.value)


def test_every_icon_size_is_there_with_its_pixel_size():
    paths = icon_paths()
    assert [p.name for p in paths] == [f"streamscope-{s}.png" for s in SIZES]
    for size, path in zip(SIZES, paths, strict=True):
        assert png_size(path) == (size, size)


def test_the_ico_holds_the_png_sizes_byte_for_byte():
    """make_icons.py writes the .ico from the PNGs: a stale .ico shows up here."""
    data = (ROOT / "resources" / "icons" / "streamscope.ico").read_bytes()
    reserved, kind, count = struct.unpack_from("<HHH", data)
    assert (reserved, kind) == (0, 1) and count >= 4
    sizes = []
    for i in range(count):
        w, _h, _, _, _, _, length, offset = struct.unpack_from("<BBBBHHII", data, 6 + 16 * i)
        size = w or 256
        png = ROOT / "resources" / "icons" / f"streamscope-{size}.png"
        assert data[offset : offset + length] == png.read_bytes(), f"{size}px entry is stale"
        sizes.append(size)
    assert {16, 32, 48, 256} <= set(sizes)


def test_the_icns_holds_the_png_sizes_byte_for_byte():
    data = (ROOT / "resources" / "icons" / "streamscope.icns").read_bytes()
    assert data[:4] == b"icns" and struct.unpack(">I", data[4:8])[0] == len(data)
    pos, seen = 8, {}
    while pos < len(data):
        kind, length = data[pos : pos + 4], struct.unpack(">I", data[pos + 4 : pos + 8])[0]
        seen[kind] = data[pos + 8 : pos + length]
        pos += length
    assert seen[b"ic09"] == (ROOT / "resources" / "icons" / "streamscope-512.png").read_bytes()
    assert seen[b"icp4"] == (ROOT / "resources" / "icons" / "streamscope-16.png").read_bytes()
    assert len(seen) == 6


def test_the_app_icon_has_every_size(qapp):
    from streamscope.ui.appicon import app_icon

    icon = app_icon()
    assert not icon.isNull()
    assert sorted(s.width() for s in icon.availableSizes()) == SIZES


def test_a_missing_icon_warns_and_leaves_the_default(qapp, monkeypatch, caplog):
    from streamscope.ui import appicon

    monkeypatch.setattr(appicon, "icon_paths", lambda: [])
    assert appicon.app_icon().isNull()
    assert "app icon not found" in caplog.text


def test_a_package_install_ships_every_resource():
    """`pip install .` (the README's first command) is not a checkout: resources reach
    <prefix>/share/streamscope/resources only if pyproject.toml lists them as data files."""
    import tomllib

    data_files = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "data-files"
    ]
    shipped = set()
    for target, patterns in data_files.items():
        sub = target.removeprefix("share/streamscope/resources").strip("/")
        for pattern in patterns:
            for path in ROOT.glob(pattern):
                assert path.is_file(), f"{pattern} matches a folder"
                rel = path.relative_to(ROOT / "resources")
                assert str(rel.parent).strip(".") == sub, f"{rel} would land in {target}"
                shipped.add(rel.as_posix())
    files = {p.relative_to(ROOT / "resources").as_posix() for p in (ROOT / "resources").rglob("*")}
    files = {f for f in files if (ROOT / "resources" / f).is_file()}
    assert files == shipped
    prefix_dir = resources.resource_dirs()[-1]
    assert prefix_dir == Path(sys.prefix) / "share" / "streamscope" / "resources"
