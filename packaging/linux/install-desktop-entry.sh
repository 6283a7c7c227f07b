#!/bin/sh
# Add StreamScope to the desktop's application menu (per user, no root needed), or remove it.
#
#   ./install-desktop-entry.sh              # from the bundle folder (next to ./streamscope)
#   ./install-desktop-entry.sh --uninstall
#
# Writes $XDG_DATA_HOME/applications/streamscope.desktop (default ~/.local/share) with Exec
# pointing at this bundle, and the icon in every hicolor size the bundle carries.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
data=${XDG_DATA_HOME:-$HOME/.local/share}
apps="$data/applications"
icons="$data/icons/hicolor"

if [ "${1:-}" = "--uninstall" ]; then
  rm -f "$apps/streamscope.desktop"
  for f in "$icons"/*/apps/streamscope.png "$icons"/scalable/apps/streamscope.svg; do
    [ -e "$f" ] && rm -f "$f"
  done
  echo "StreamScope removed from the application menu"
  exit 0
fi

# The bundle keeps resources in _internal/; a source checkout has them two levels up.
res=""
for d in "$here/_internal/resources" "$here/../../resources"; do
  if [ -f "$d/streamscope.desktop" ]; then res=$(cd "$d" && pwd); break; fi
done
if [ -z "$res" ]; then
  echo "install-desktop-entry: resources not found next to $here" >&2
  exit 1
fi
exe="$here/streamscope"
if [ ! -x "$exe" ]; then
  exe=$(command -v streamscope || true)
fi
if [ -z "$exe" ]; then
  echo "install-desktop-entry: no streamscope executable next to this script or on PATH" >&2
  exit 1
fi

mkdir -p "$apps"
# Quote the path for the Exec key (spaces are allowed inside double quotes).
sed -e "s|^Exec=.*|Exec=\"$exe\"|" "$res/streamscope.desktop" > "$apps/streamscope.desktop"
chmod 644 "$apps/streamscope.desktop"
for png in "$res"/icons/streamscope-*.png; do
  size=$(basename "$png" .png | sed 's/^streamscope-//')
  mkdir -p "$icons/${size}x${size}/apps"
  cp "$png" "$icons/${size}x${size}/apps/streamscope.png"
done
if [ -f "$res/icons/streamscope.svg" ]; then
  mkdir -p "$icons/scalable/apps"
  cp "$res/icons/streamscope.svg" "$icons/scalable/apps/streamscope.svg"
fi
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$apps" || true
command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -q -t "$icons" || true
echo "StreamScope added to the application menu ($apps/streamscope.desktop -> $exe)"
