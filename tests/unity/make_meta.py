"""Write the Unity .meta files the package is missing (existing ones are never touched).

Unity ignores assets without a .meta file inside immutable packages (installed from a git URL
or a registry), so every file and folder of unity/com.streamscope.client needs one, except
hidden ones and folders ending in "~" (Samples~), which Unity does not import.
test_unity_mcs.py::test_every_package_asset_has_a_meta_file checks this.

Usage: python tests/unity/make_meta.py
"""

from __future__ import annotations

import hashlib
from pathlib import Path

PKG = Path(__file__).resolve().parents[2] / "unity" / "com.streamscope.client"

_TAIL = "  userData: \n  assetBundleName: \n  assetBundleVariant: \n"
_IMPORTERS = {
    ".cs": (
        "MonoImporter:\n  externalObjects: {}\n  serializedVersion: 2\n  defaultReferences: []\n"
        "  executionOrder: 0\n  icon: {instanceID: 0}\n"
    ),
    ".asmdef": "AssemblyDefinitionImporter:\n  externalObjects: {}\n",
    ".md": "TextScriptImporter:\n  externalObjects: {}\n",
    ".json": "TextScriptImporter:\n  externalObjects: {}\n",
}
_FOLDER = "folderAsset: yes\nDefaultImporter:\n  externalObjects: {}\n"
_DEFAULT = "DefaultImporter:\n  externalObjects: {}\n"
_MANIFEST = "PackageManifestImporter:\n  externalObjects: {}\n"


def guid_for(rel: Path) -> str:
    """A stable GUID derived from the asset's path inside the package."""
    return hashlib.md5(f"com.streamscope.client/{rel.as_posix()}".encode()).hexdigest()


def meta_text(path: Path) -> str:
    rel = path.relative_to(PKG)
    if path.is_dir():
        body = _FOLDER
    elif rel.as_posix() == "package.json":
        body = _MANIFEST
    else:
        body = _IMPORTERS.get(path.suffix, _DEFAULT)
    return f"fileFormatVersion: 2\nguid: {guid_for(rel)}\n{body}{_TAIL}"


def main() -> None:
    for path in sorted(PKG.rglob("*")):
        rel = path.relative_to(PKG)
        if path.suffix == ".meta" or any(p.startswith(".") or p.endswith("~") for p in rel.parts):
            continue
        meta = path.with_name(path.name + ".meta")
        if not meta.exists():
            meta.write_text(meta_text(path), encoding="utf-8", newline="\n")
            print(f"wrote {meta.relative_to(PKG)}")


if __name__ == "__main__":
    main()
