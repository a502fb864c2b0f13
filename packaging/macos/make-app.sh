#!/usr/bin/env bash
# Assembles Tayori.app from a built binary (no cargo-bundle): Contents/Info.plist from the template here,
# Contents/MacOS/tayori, and Contents/Resources/tayori.icns made from assets/icons/png by iconutil.
#
#   packaging/macos/make-app.sh --binary PATH --out DIR [--version X.Y.Z] [--no-icon]
#
# On macOS it makes the .icns (iconutil ships with the OS). Elsewhere (tests/packaging.sh on Linux
# checks the bundle's layout and Info.plist) pass --no-icon. Signing and the DMG are separate steps
# (.github/workflows/release.yml) because they need the signing identity.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BINARY="" OUT="" VERSION="" ICON=yes
while [ $# -gt 0 ]; do
  case $1 in
    --binary) BINARY=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --version) VERSION=$2; shift 2 ;;
    --no-icon) ICON=no; shift ;;
    *) echo "usage: $0 --binary PATH --out DIR [--version X.Y.Z] [--no-icon]" >&2; exit 2 ;;
  esac
done
[ -n "$BINARY" ] && [ -n "$OUT" ] || { echo "usage: $0 --binary PATH --out DIR [--version X.Y.Z] [--no-icon]" >&2; exit 2; }
# The first `version =` in Cargo.toml is the package's ([package] comes first). No tomllib: macOS's own
# python3 is older than 3.11.
[ -n "$VERSION" ] || VERSION=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$ROOT/Cargo.toml" | head -1)
# CFBundleVersion is up to three numbers: 1.2.3-beta.1 becomes 1.2.3.
BUNDLE_VERSION=$(echo "$VERSION" | sed -E 's/^([0-9]+\.[0-9]+\.[0-9]+).*/\1/')

APP="$OUT/Tayori.app"
rm -rf "$APP"
mkdir -p "$APP/Contents/MacOS" "$APP/Contents/Resources"
sed -e "s/@VERSION@/$VERSION/" -e "s/@BUNDLE_VERSION@/$BUNDLE_VERSION/" \
  "$ROOT/packaging/macos/Info.plist" > "$APP/Contents/Info.plist"
printf 'APPL????' > "$APP/Contents/PkgInfo"
cp "$BINARY" "$APP/Contents/MacOS/tayori"
chmod 755 "$APP/Contents/MacOS/tayori"
cp "$ROOT/LICENSE-MIT" "$ROOT/LICENSE-APACHE" "$APP/Contents/Resources/"

if [ "$ICON" = yes ]; then
  ICONSET=$(mktemp -d)/tayori.iconset
  mkdir -p "$ICONSET"
  png="$ROOT/assets/icons/png/tayori"
  for size in 16 32 128 256 512; do
    cp "$png-$size.png" "$ICONSET/icon_${size}x${size}.png"
    cp "$png-$((size * 2)).png" "$ICONSET/icon_${size}x${size}@2x.png"
  done
  iconutil --convert icns --output "$APP/Contents/Resources/tayori.icns" "$ICONSET"
fi
if command -v plutil >/dev/null; then plutil -lint "$APP/Contents/Info.plist"; fi
echo "$APP"
