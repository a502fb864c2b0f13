#!/usr/bin/env bash
# Builds the Debian package with cargo-deb (installed on first use into target/tools, pinned).
#
#   packaging/linux/build-deb.sh [--profile release|dev|NAME] [--fast] [--tool-only]
#
# --tool-only installs the pinned cargo-deb and stops (tests/packaging.sh --prepare).
# Prints the path of the .deb. The package's contents and dependencies are in Cargo.toml,
# [package.metadata.deb]; the files it installs are in this folder and assets/icons.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
PROFILE=release
FAST=()
TOOL_ONLY=0
while [ $# -gt 0 ]; do
  case $1 in
    --profile) PROFILE=$2; shift 2 ;;
    --fast) FAST=(--fast); shift ;;
    --tool-only) TOOL_ONLY=1; shift ;;
    *) echo "usage: $0 [--profile NAME] [--fast] [--tool-only]" >&2; exit 2 ;;
  esac
done
# 3.8.0 builds with Rust 1.95 (its rust-version is 1.85); --locked uses the versions it was tested with.
CARGO_DEB_VERSION=3.8.0
TOOLS="$ROOT/target/tools"
if ! "$TOOLS/bin/cargo-deb" --version 2>/dev/null | grep -qF "$CARGO_DEB_VERSION"; then
  cargo install --quiet --locked --root "$TOOLS" "cargo-deb@$CARGO_DEB_VERSION"
fi
[ "$TOOL_ONLY" = 0 ] || exit 0
OUT="$ROOT/target/debian"
mkdir -p "$OUT"
rm -f "$OUT"/tayori_*.deb
# cargo-deb builds the binary itself (cargo build --profile), strips it, runs dpkg-shlibdeps for $auto.
"$TOOLS/bin/cargo-deb" --locked --profile "$PROFILE" --output "$OUT" "${FAST[@]}" >&2
VERSION=$(python3 -c 'import tomllib; print(tomllib.load(open("Cargo.toml","rb"))["package"]["version"])')
DEB="$OUT/tayori_${VERSION}-1_$(dpkg --print-architecture).deb"
[ -f "$DEB" ] || { echo "cargo-deb did not write $DEB" >&2; exit 1; }
echo "$DEB"
