#!/usr/bin/env bash
# Renders the icon's PNG sizes (the freedesktop hicolor sizes 16–512, and 1024 for the macOS .icns) and the
# Windows .ico from the two SVGs. The PNGs and the .ico are committed so that every packaging job, the
# macOS one included, uses the same pixels without an SVG renderer; tests/packaging.sh re-renders them
# into a temporary folder and fails if the committed ones no longer match the SVGs.
# Needs rsvg-convert (librsvg2-bin) and icotool (icoutils).   Usage: render.sh [OUTDIR]
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${1:-$HERE}
mkdir -p "$OUT/png"
for size in 16 24 32 48 64 128 256 512 1024; do
  # Below 32 px the character is unreadable; the simplified drawing keeps the shape crisp.
  if [ "$size" -lt 32 ]; then src=tayori-small.svg; else src=tayori.svg; fi
  rsvg-convert --width "$size" --height "$size" "$HERE/$src" --output "$OUT/png/tayori-$size.png"
done
# Windows picks the size it needs from the .ico; 256 px is stored as PNG, as Windows Vista and later expect.
icotool --create --output "$OUT/tayori.ico" \
  "$OUT"/png/tayori-{16,24,32,48,64,128}.png --raw="$OUT/png/tayori-256.png"
