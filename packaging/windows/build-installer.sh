#!/usr/bin/env bash
# Cross-builds Tayori for 64-bit Windows (x86_64-pc-windows-gnu, with Debian's MinGW-w64) and wraps it
# in a per-user NSIS installer. Runs on Linux; needs gcc-mingw-w64-x86-64, nsis, python3 and the
# rustup target (tests/packaging.sh installs them).
#
#   packaging/windows/build-installer.sh [--profile release|package-check] [--out DIR] [--fast]
#
# --fast compresses with zlib instead of solid LZMA (seconds instead of minutes, a larger installer).
#
# Signing (optional): with WINDOWS_SIGN_PFX (a .pfx/.p12 file) and WINDOWS_SIGN_PASSWORD set, the two
# programs and the installer are signed with osslsigncode (Debian package osslsigncode), timestamped
# by WINDOWS_SIGN_TIMESTAMP_URL if set. Without them the installer is unsigned (SmartScreen warns).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
PROFILE=release
OUT=target/windows
FAST=()
while [ $# -gt 0 ]; do
  case $1 in
    --profile) PROFILE=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --fast) FAST=(-DFAST); shift ;;
    *) echo "usage: $0 [--profile NAME] [--out DIR] [--fast]" >&2; exit 2 ;;
  esac
done
TARGET=x86_64-pc-windows-gnu
VERSION=$(python3 -c 'import tomllib; print(tomllib.load(open("Cargo.toml","rb"))["package"]["version"])')
# The version resource wants four numbers: 1.2.3-beta.1 becomes 1.2.3.0.
NUMVERSION="$(echo "$VERSION" | sed -E 's/^([0-9]+\.[0-9]+\.[0-9]+).*/\1/').0"

rustup target list --installed | grep -qx "$TARGET" || rustup target add "$TARGET"
# The iced GUI is on (default features): this is the real desktop program.
cargo build --locked --profile "$PROFILE" --target "$TARGET" --bin tayori
case $PROFILE in dev) dir=debug ;; *) dir=$PROFILE ;; esac
BIN="${CARGO_TARGET_DIR:-target}/$TARGET/$dir/tayori.exe"

STAGE="$OUT/stage"
rm -rf "$STAGE"
mkdir -p "$STAGE"
cp "$BIN" "$STAGE/tayori.exe"
python3 packaging/windows/pe-subsystem.py "$STAGE/tayori.exe" "$STAGE/tayori-cli.exe" console
cp assets/icons/tayori.ico "$STAGE/"
# Notepad shows these; CRLF line ends for older Windows.
sed 's/$/\r/' LICENSE-MIT > "$STAGE/LICENSE-MIT.txt"
sed 's/$/\r/' LICENSE-APACHE > "$STAGE/LICENSE-APACHE.txt"

sign() { # in-place
  [ -n "${WINDOWS_SIGN_PFX:-}" ] || return 0
  local args=(sign -pkcs12 "$WINDOWS_SIGN_PFX" -pass "${WINDOWS_SIGN_PASSWORD:-}" -n Tayori -h sha256)
  [ -z "${WINDOWS_SIGN_TIMESTAMP_URL:-}" ] || args+=(-ts "$WINDOWS_SIGN_TIMESTAMP_URL")
  osslsigncode "${args[@]}" -in "$1" -out "$1.signed"
  mv "$1.signed" "$1"
}
sign "$STAGE/tayori.exe"
sign "$STAGE/tayori-cli.exe"

SETUP="$OUT/tayori-$VERSION-x86_64-setup.exe"
makensis -V2 -INPUTCHARSET UTF8 "${FAST[@]}" -DVERSION="$VERSION" -DNUMVERSION="$NUMVERSION" \
  -DSTAGE="$(cd "$STAGE" && pwd)" -DOUTFILE="$(cd "$OUT" && pwd)/$(basename "$SETUP")" \
  packaging/windows/tayori.nsi
sign "$SETUP"
echo "$SETUP"
