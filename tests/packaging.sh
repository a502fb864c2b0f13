#!/usr/bin/env bash
# Builds the installers and checks them the way a person installing Tayori would meet them:
#   Linux    the .deb (cargo-deb): its files and dependencies, `dpkg -i` on this machine, the installed
#            `tayori --version`, desktop-file-validate, appstreamcli validate, the mailto: handler in the
#            desktop database, the installed window's run-time libraries against the declared
#            dependencies, and `dpkg -r`.
#   Windows  the cross-built NSIS setup.exe: the programs' subsystems and imports (Credential Manager,
#            the platform TLS verifier, the system DNS settings; no MinGW DLL), the files and registry
#            entries inside the installer, per-user (asInvoker) manifest.
#   macOS    Tayori.app's layout and Info.plist (plistlib), assembled here by the same script CI uses
#            (the .app and DMG themselves are built on a macOS runner: .github/workflows/release.yml).
#   Also     the committed icons against their SVGs, the workflow files' YAML and shell, and that every
#            place that names the version agrees with Cargo.toml.
#
#   tests/packaging.sh [--release] [--only deb|windows|macos|common]... [--prepare]
#
# --prepare installs the tools and builds what the checks need (cargo-deb, the Windows program and
# installer), checks nothing and exits: tests/run.sh runs it at low priority while the end-to-end
# tests, which mostly wait on servers, leave the cores idle. The checks then find everything built.
#
# By default the .deb is built with the `dev` profile, which tests/run.sh has already built (no extra
# compile), and the Windows program with `package-check` (no optimisation): what is checked here is the
# packaging. --release builds both with the release profile, as .github/workflows/release.yml does.
# Installs what it needs (Debian packages, the rustup target, cargo-deb) on first use; idempotent.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
T0=$(date +%s)
DEB_PROFILE=dev
WIN_PROFILE=package-check
ONLY=()
PREPARE=0
while [ $# -gt 0 ]; do
  case $1 in
    --release) DEB_PROFILE=release; WIN_PROFILE=release; shift ;;
    --only) ONLY+=("$2"); shift 2 ;;
    --prepare) PREPARE=1; shift ;;
    *) echo "usage: $0 [--release] [--only deb|windows|macos|common]... [--prepare]" >&2; exit 2 ;;
  esac
done
wants() { [ ${#ONLY[@]} -eq 0 ] || printf '%s\n' "${ONLY[@]}" | grep -qx "$1"; }
# Checking builds compress fast (seconds, a larger file); --release builds compress as released.
FAST=()
[ "$WIN_PROFILE" = release ] || FAST=(--fast)
build_windows_installer() { packaging/windows/build-installer.sh --profile "$WIN_PROFILE" "${FAST[@]}"; }

step() { printf '\n--> %s  (+%ss)\n' "$*" "$(( $(date +%s) - T0 ))"; }
PASSED=0 FAILED=0 FAILURES=()
LOG=target/packaging
mkdir -p "$LOG"
# check "what is checked" command...  — runs the command, keeps its output in target/packaging/.
check() {
  local what=$1; shift
  local out="$LOG/check-$((PASSED + FAILED + 1)).log"
  if "$@" >"$out" 2>&1; then
    PASSED=$((PASSED + 1)); printf 'PASS  %s\n' "$what"
  else
    FAILED=$((FAILED + 1)); FAILURES+=("$what"); printf 'FAIL  %s\n' "$what"; sed 's/^/      /' "$out" | tail -20
  fi
}
VERSION=$(python3 -c 'import tomllib; print(tomllib.load(open("Cargo.toml","rb"))["package"]["version"])')
APP_ID=org.tayori.Tayori
# Another apt or dpkg (a developer's, unattended upgrades) may hold the lock for a while: wait for it.
APT=(apt-get -o DPkg::Lock::Timeout=300)
with_dpkg_lock() {
  local i out
  for i in $(seq 150); do
    if out=$("$@" 2>&1); then echo "$out"; return 0; fi
    grep -q 'lock' <<<"$out" || { echo "$out"; return 1; }
    sleep 2
  done
  echo "$out"; return 1
}

step "tools (Debian packages, the Windows target, cargo-deb)"
need=(desktop-file-utils appstream librsvg2-bin icoutils imagemagick python3-yaml xvfb xauth x11-utils)
wants windows && need+=(gcc-mingw-w64-x86-64 g++-mingw-w64-x86-64-posix nsis p7zip-full binutils-mingw-w64-x86-64 wine wine64)
missing=()
for pkg in "${need[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  "${APT[@]}" update -qq
  DEBIAN_FRONTEND=noninteractive "${APT[@]}" install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if wants windows; then
  rustup target list --installed | grep -qx x86_64-pc-windows-gnu || rustup target add x86_64-pc-windows-gnu
fi
if [ $PREPARE = 1 ]; then
  # Not the .deb's own build: cargo-deb relinks target/debug/tayori, which the tests are running.
  wants deb && packaging/linux/build-deb.sh --tool-only
  if wants windows; then
    build_windows_installer >/dev/null
  fi
  step "prepared: tools installed, the Windows installer built"
  exit 0
fi

# ---------------------------------------------------------------------------------------------------
if wants common; then
  step "icons, version numbers, workflow files"
  ICONS=$(mktemp -d)
  assets/icons/render.sh "$ICONS"
  same_pixels() { # committed fresh: identical bytes, or (another librsvg) the same picture
    cmp -s "$1" "$2" && return 0
    local diff
    diff=$(/usr/bin/compare -metric AE -fuzz 3% "$1" "$2" null: 2>&1 || true)
    echo "$1: $diff pixels differ"
    [ "${diff%% *}" -lt $(( $(identify -format '%w*%h' "$1") / 100 )) ]
  }
  icons_match() {
    local size
    for size in 16 24 32 48 64 128 256 512 1024; do
      [ "$(identify -format '%wx%h' "assets/icons/png/tayori-$size.png")" = "${size}x${size}" ] ||
        { echo "assets/icons/png/tayori-$size.png is not ${size}x${size}"; return 1; }
      same_pixels "assets/icons/png/tayori-$size.png" "$ICONS/png/tayori-$size.png" || return 1
    done
    icotool -l assets/icons/tayori.ico
    [ "$(icotool -l assets/icons/tayori.ico | grep -c -- '--icon')" = 7 ]
  }
  check "committed icon PNGs (16–1024) and tayori.ico match assets/icons/*.svg" icons_match
  rm -rf "$ICONS"

  versions_agree() {
    local changelog metainfo
    changelog=$(head -1 packaging/linux/changelog | sed -E 's/^tayori \(([^)-]+)-[0-9]+\).*/\1/')
    metainfo=$(python3 -c 'import sys, xml.etree.ElementTree as E; print(E.parse(sys.argv[1]).find("releases/release").get("version"))' \
      "packaging/linux/$APP_ID.metainfo.xml")
    echo "Cargo.toml $VERSION, debian changelog $changelog, metainfo $metainfo"
    [ "$changelog" = "$VERSION" ] && [ "$metainfo" = "$VERSION" ]
  }
  check "version $VERSION is the same in Cargo.toml, the Debian changelog and the AppStream releases" versions_agree

  workflows_parse() {
    /usr/bin/python3 - "$ROOT" <<'PY'
import pathlib, re, subprocess, sys, yaml
root = pathlib.Path(sys.argv[1])
files = sorted((root / ".github/workflows").glob("*.yml"))
assert files, "no workflow files"
for path in files:
    doc = yaml.safe_load(path.read_text())
    # YAML 1.1 reads the key `on` as True.
    triggers = doc.get("on", doc.get(True))
    assert triggers, f"{path.name}: no triggers"
    for name, job in doc["jobs"].items():
        assert "runs-on" in job, f"{path.name}: job {name} has no runs-on"
        for i, st in enumerate(job["steps"]):
            assert ("uses" in st) != ("run" in st), f"{path.name}: {name} step {i}: exactly one of uses/run"
            if "run" in st and st.get("shell", job.get("defaults", {}).get("run", {}).get("shell", "bash")) in ("bash", "sh"):
                # Check the shell syntax with the ${{ }} expressions replaced by a word.
                script = re.sub(r"\$\{\{.*?\}\}", "EXPR", st["run"])
                subprocess.run(["bash", "-n"], input=script, text=True, check=True)
            for ref in re.findall(r"(?:packaging|tests)/[\w./-]+\.(?:sh|py|nsi)", st.get("run", "")):
                assert (root / ref).exists(), f"{path.name}: {name} runs {ref}, which does not exist"
    print(f"{path.name}: triggers {list(triggers)}, jobs {list(doc['jobs'])}")
PY
  }
  check "workflow YAML parses; every job has runs-on; every run: script passes bash -n; scripts they name exist" workflows_parse
  release_workflow_covers() {
    /usr/bin/python3 - <<'PY'
import yaml
doc = yaml.safe_load(open(".github/workflows/release.yml"))
on = doc.get("on", doc.get(True))
assert "v*" in on["push"]["tags"], "release.yml must run on version tags"
text = open(".github/workflows/release.yml").read()
for needle in ["tests/packaging.sh", "make-app.sh", "hdiutil create", "codesign", "notarytool",
               "actions/upload-artifact", "windows-", "macos-", "--no-default-features"]:
    assert needle in text, f"release.yml does not mention {needle}"
print("ok")
PY
  }
  check "release.yml runs on v* tags, builds .deb/.exe with tests/packaging.sh, .app/DMG with signing and notarization, tests on Windows and macOS" release_workflow_covers
fi

# ---------------------------------------------------------------------------------------------------
if wants deb; then
  step "Linux: build the .deb (profile $DEB_PROFILE)"
  DEB=$(packaging/linux/build-deb.sh --profile "$DEB_PROFILE" "${FAST[@]}")
  echo "$DEB ($(du -h "$DEB" | cut -f1))"
  dpkg-deb --info "$DEB" | sed -n '/Package:/,$p'

  deb_has_files() {
    local listing
    listing=$(dpkg-deb --contents "$DEB" | awk '{print $6}')
    echo "$listing"
    for f in ./usr/bin/tayori "./usr/share/applications/$APP_ID.desktop" "./usr/share/metainfo/$APP_ID.metainfo.xml" \
      "./usr/share/icons/hicolor/scalable/apps/$APP_ID.svg" ./usr/share/doc/tayori/copyright \
      ./usr/share/doc/tayori/changelog.Debian.gz; do
      grep -qxF "$f" <<<"$listing" || { echo "missing: $f"; return 1; }
    done
    for size in 16 24 32 48 64 128 256 512; do
      grep -qxF "./usr/share/icons/hicolor/${size}x${size}/apps/$APP_ID.png" <<<"$listing" || { echo "missing icon $size"; return 1; }
    done
  }
  check ".deb holds the binary, desktop entry, metainfo, hicolor icons 16–512 + scalable, copyright, changelog" deb_has_files

  deb_depends() {
    local depends recommends
    depends=$(dpkg-deb --field "$DEB" Depends)
    recommends=$(dpkg-deb --field "$DEB" Recommends)
    echo "Depends: $depends"; echo "Recommends: $recommends"
    # $auto found what the binary links; the rest are what it opens at run time.
    for pkg in libc6 ca-certificates libxkbcommon0 libx11-6 libwayland-client0; do
      grep -qE "(^|, )$pkg( |,|$)" <<<"$depends" || { echo "Depends lacks $pkg"; return 1; }
    done
    # libgssapi-krb5-2: loaded at run time to answer a proxy's Kerberos (Negotiate) challenge.
    for pkg in gnome-keyring fonts-noto-cjk xdg-utils libgssapi-krb5-2; do
      grep -qE "(^|[ ,|])$pkg( |,|$)" <<<"$recommends" || { echo "Recommends lacks $pkg"; return 1; }
    done
    # Every alternative named must be a real Debian package.
    local name
    for name in $(echo "$depends, $recommends" | tr ',|' '\n\n' | sed -E 's/\(.*\)//; s/ //g' | sort -u); do
      apt-cache show "$name" >/dev/null 2>&1 || { echo "no Debian package named $name"; return 1; }
    done
  }
  check ".deb Depends (\$auto + ca-certificates + X11/Wayland/xkbcommon) and Recommends (Secret Service, CJK fonts, xdg-utils, GSSAPI) are real packages" deb_depends

  step "Linux: install with dpkg -i"
  # dpkg -i does not fetch dependencies: install what Depends names first, as apt would.
  deps=$(dpkg-deb --field "$DEB" Depends | tr ',' '\n' | sed -E 's/\(.*\)//; s/\|.*//; s/ //g' | grep -v '^$')
  missing=()
  for pkg in $deps; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "installing dependencies: ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive "${APT[@]}" install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
      { "${APT[@]}" update -qq && DEBIAN_FRONTEND=noninteractive "${APT[@]}" install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }
  fi
  check "dpkg -i installs the .deb with its dependencies satisfied" with_dpkg_lock dpkg -i "$DEB"
  installed_version() {
    local out
    # The first line is the version; the lines after it name the built-in sign-in registrations.
    out=$(/usr/bin/tayori --version | head -n1)
    echo "$out"
    [ "$out" = "tayori $VERSION" ]
  }
  check "installed /usr/bin/tayori --version prints 'tayori $VERSION'" installed_version
  check "desktop-file-validate /usr/share/applications/$APP_ID.desktop" \
    desktop-file-validate "/usr/share/applications/$APP_ID.desktop"
  desktop_entry_handles_mailto() {
    local f="/usr/share/applications/$APP_ID.desktop"
    grep -qx 'MimeType=x-scheme-handler/mailto;' "$f" && grep -qx 'Exec=tayori %u' "$f" || return 1
    # desktop-file-utils' dpkg trigger updates the desktop database: mailto: links now reach Tayori.
    update-desktop-database -q /usr/share/applications
    grep '^x-scheme-handler/mailto=' /usr/share/applications/mimeinfo.cache
    grep -q "^x-scheme-handler/mailto=.*$APP_ID.desktop" /usr/share/applications/mimeinfo.cache
  }
  check "the desktop entry runs 'tayori %u' for x-scheme-handler/mailto and the desktop database lists it" desktop_entry_handles_mailto
  check "appstreamcli validate /usr/share/metainfo/$APP_ID.metainfo.xml" \
    appstreamcli validate --no-net "/usr/share/metainfo/$APP_ID.metainfo.xml"
  check "the icon theme resolves $APP_ID to the installed hicolor icons" \
    test -s "/usr/share/icons/hicolor/48x48/apps/$APP_ID.png" -a -s "/usr/share/icons/hicolor/scalable/apps/$APP_ID.svg"

  installed_window_libraries() {
    # The window loads its libraries with dlopen, which dpkg-shlibdeps cannot see: start the installed
    # program under Xvfb and check that every library it maps comes from a package the .deb depends
    # on or recommends (directly or through their dependencies).
    local display=120 home xvfb app pkgs closure lib owner bad=0
    while [ -e "/tmp/.X$display-lock" ] || [ -e "/tmp/.X11-unix/X$display" ]; do display=$((display + 1)); done
    home=$(mktemp -d)
    Xvfb ":$display" -screen 0 1024x768x24 -nolisten tcp -noreset >"$home/xvfb.log" 2>&1 &
    xvfb=$!
    for _ in $(seq 100); do DISPLAY=":$display" xdpyinfo >/dev/null 2>&1 && break; sleep 0.1; done
    DISPLAY=":$display" TAYORI_HOME="$home/t" /usr/bin/tayori >"$home/app.log" 2>&1 &
    app=$!
    local found=""
    for _ in $(seq 150); do
      if DISPLAY=":$display" xwininfo -root -tree 2>/dev/null | grep -q 'Tayori'; then found=yes; break; fi
      kill -0 "$app" 2>/dev/null || break
      sleep 0.2
    done
    sleep 1
    pkgs=$(awk '$6 ~ /\.so/ {print $6}' "/proc/$app/maps" 2>/dev/null | sort -u)
    kill "$app" "$xvfb" 2>/dev/null || true
    wait "$app" "$xvfb" 2>/dev/null || true
    [ -n "$found" ] || { echo "the installed program opened no window:"; cat "$home/app.log"; rm -rf "$home"; return 1; }
    # Declared: what Depends names, with their own Depends; and the GPU stack that Recommends names,
    # with everything it pulls in, since its loaders pick their drivers from their own Recommends. Not
    # the keyring, fonts or xdg-utils: the program loads no library of theirs, and the keyrings' GTK or
    # Qt dependencies would otherwise hide a missing X library.
    local required optional
    required=$(dpkg-deb --field "$DEB" Depends | tr ',|' '\n\n' | sed -E 's/\(.*\)//; s/ //g' | grep -v '^$')
    optional="libvulkan1 libegl1 libgl1-mesa-dri"
    for pkg in $optional; do
      dpkg-deb --field "$DEB" Recommends | grep -qw "$pkg" || { echo "Recommends lacks $pkg"; return 1; }
    done
    closure=$( {
      apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks --no-replaces \
        --no-enhances $required
      apt-cache depends --recurse --no-suggests --no-conflicts --no-breaks --no-replaces --no-enhances $optional
    } 2>/dev/null | grep -vE '^ |<' | sort -u)
    for lib in $pkgs; do
      owner=""
      # /usr/lib and /lib are one folder (merged /usr); dpkg knows each file under one of the names.
      for candidate in "$lib" "${lib#/usr}" "/usr$lib" "$(readlink -f "$lib")"; do
        owner=$(dpkg -S "$candidate" 2>/dev/null | head -1 | cut -d: -f1) && [ -n "$owner" ] && break
      done
      if [ -z "$owner" ]; then echo "?? $lib (no package)"; bad=1
      elif grep -qxF "$owner" <<<"$closure"; then echo "ok $lib ($owner)"
      else echo "NOT DECLARED $lib ($owner)"; bad=1
      fi
    done
    rm -rf "$home"
    return $bad
  }
  check "the installed program opens its window under Xvfb, and every library it loads is declared" installed_window_libraries

  removed() { with_dpkg_lock dpkg -r tayori && ! test -e /usr/bin/tayori; }
  check "dpkg -r removes it again" removed
fi

# ---------------------------------------------------------------------------------------------------
if wants windows; then
  step "Windows: cross-build and the NSIS installer (profile $WIN_PROFILE)"
  SETUP=$(build_windows_installer)
  STAGE=target/windows/stage
  echo "$SETUP ($(du -h "$SETUP" | cut -f1)); tayori.exe $(du -h "$STAGE/tayori.exe" | cut -f1)"

  subsystems() {
    python3 packaging/windows/pe-subsystem.py "$STAGE/tayori.exe" | tee /dev/stderr | grep -qx 'gui (checksum ok)' &&
      python3 packaging/windows/pe-subsystem.py "$STAGE/tayori-cli.exe" | tee /dev/stderr | grep -qx 'console (checksum ok)'
  }
  check "tayori.exe is a GUI program (no console window), tayori-cli.exe the same program for the console" subsystems
  imports() {
    local dump
    dump=$(x86_64-w64-mingw32-objdump -p "$STAGE/tayori.exe")
    grep 'DLL Name' <<<"$dump" | sort -fu
    # Credential Manager (keyring's Windows store), the platform certificate verifier, the system's DNS
    # servers (hickory's system-config): the real Windows back ends are linked, not stubs.
    # …and SSPI, for a proxy's Kerberos (Negotiate) challenge.
    for fn in CredWriteW CredReadW CredDeleteW CertGetCertificateChain GetAdaptersAddresses InitializeSecurityContextW; do
      grep -qw "$fn" <<<"$dump" || { echo "tayori.exe does not import $fn"; return 1; }
    done
    # Only Windows' own DLLs: a MinGW runtime DLL (libgcc_s_seh-1.dll, libwinpthread-1.dll) would be
    # missing on the person's machine.
    ! grep 'DLL Name' <<<"$dump" | grep -iE 'DLL Name: lib'
  }
  check "tayori.exe imports Credential Manager, CertGetCertificateChain, GetAdaptersAddresses, SSPI and no MinGW DLL" imports
  resources() {
    local types
    types=$(python3 packaging/windows/pe-resources.py "$STAGE/tayori.exe")
    echo "resource types: $types"
    for t in icon icon-group version; do
      grep -qw -- "$t" <<<"$types" || { echo "tayori.exe has no $t resource"; return 1; }
    done
    strings -el "$STAGE/tayori.exe" | grep -qx "$VERSION" || { echo "no version $VERSION in the version resource"; return 1; }
  }
  check "tayori.exe carries its icon (Explorer, taskbar) and version details (build.rs, packaging/windows/tayori.rc)" resources
  installer_contents() {
    local x
    x=$(mktemp -d)
    7z x -y -o"$x" "$SETUP" >/dev/null
    find "$x" -type f | sed "s|$x/||" | sort
    for f in tayori.exe tayori-cli.exe tayori.ico LICENSE-MIT.txt LICENSE-APACHE.txt; do
      cmp "$STAGE/$f" "$x/$f" || { rm -rf "$x"; return 1; }
    done
    rm -rf "$x"
  }
  check "the setup.exe holds tayori.exe, tayori-cli.exe, the icon and licenses, byte for byte" installer_contents
  installer_script() {
    # What the installer writes is checked for real under Wine below; here, that the script asks for
    # no administrator rights and touches nothing outside the user's own hive and profile.
    local nsi=packaging/windows/tayori.nsi
    grep -E '^\s*(RequestExecutionLevel|InstallDir|SetShellVarContext|CreateShortcut|WriteReg|DeleteReg)' "$nsi"
    grep -qx 'RequestExecutionLevel user' "$nsi" || return 1
    grep -qF 'InstallDir "$LOCALAPPDATA\Programs\Tayori"' "$nsi" || return 1
    ! grep -E '^\s*(WriteReg|DeleteReg)' "$nsi" | grep -v ' HKCU ' || { echo "a registry write outside HKCU"; return 1; }
    ! grep -E '^\s*SetShellVarContext' "$nsi" | grep -v 'current' || { echo "all-users shell folders"; return 1; }
  }
  check "installer script: RequestExecutionLevel user, %LOCALAPPDATA%\\Programs\\Tayori, registry only under HKCU, per-user shortcuts" installer_script
  per_user() {
    # RequestExecutionLevel user puts asInvoker into the installer's manifest: no UAC prompt.
    grep -a -o 'requestedExecutionLevel level="[a-zA-Z]*"' "$SETUP" | head -1 | tee /dev/stderr | grep -q asInvoker &&
      x86_64-w64-mingw32-objdump -f "$SETUP" | grep -q 'pei-x86-64'
  }
  check "setup.exe is a 64-bit installer that asks for no administrator rights (asInvoker)" per_user

  step "Windows: install, run and uninstall under Wine"
  wine_session() { # prefix
    # A fresh Wine prefix is a fresh Windows user. Wine 8 (Debian 12) lacks bcryptprimitives.dll, whose
    # ProcessPrng Rust's standard library calls; tests/wine/bcryptprimitives.c stands in for it, put
    # beside the installed program here only (Windows 10 and later have the real one).
    local prefix=$1 inst out
    wineboot --init >/dev/null 2>&1 || true
    wine "$(winepath -w "$SETUP")" /S
    wineserver -w
    inst=$(find "$prefix/drive_c/users" -path '*/AppData/Local/Programs/Tayori' -type d | head -1)
    [ -n "$inst" ] && [ -f "$inst/tayori.exe" ] && [ -f "$inst/uninstall.exe" ] ||
      { echo "nothing installed under %LOCALAPPDATA%\\Programs\\Tayori"; return 1; }
    echo "installed: ${inst#"$prefix/"}"
    ls "$inst"
    find "$prefix/drive_c/users" -name 'Tayori.lnk' | grep -q 'Start Menu/Programs/Tayori.lnk' ||
      { echo "no Start-menu shortcut"; return 1; }
    x86_64-w64-mingw32-gcc -O2 -shared -s -o "$inst/bcryptprimitives.dll" tests/wine/bcryptprimitives.c -ladvapi32
    out=$(wine "$inst/tayori-cli.exe" --version | tr -d '\r' | head -n1)
    echo "tayori-cli.exe --version: $out"
    [ "$out" = "tayori $VERSION" ] || return 1
    # The command line on Windows: its folders under %APPDATA%, no accounts yet.
    out=$(wine "$inst/tayori-cli.exe" account list) || { echo "account list failed: $out"; return 1; }
    echo "tayori-cli.exe account list: $out" | tr -d '\r'
    out=$(wine reg query 'HKCU\Software\Classes\Tayori.mailto\shell\open\command' | tr -d '\r')
    echo "$out"
    grep -qF '\Programs\Tayori\tayori.exe" "%1"' <<<"$out" || return 1
    wine reg query 'HKCU\Software\RegisteredApplications' /v Tayori | tr -d '\r' | grep -qF 'Software\Clients\Mail\Tayori\Capabilities' || return 1
    wine reg query 'HKCU\Software\Clients\Mail\Tayori\Capabilities\URLAssociations' /v mailto | tr -d '\r' | grep -q 'Tayori.mailto' || return 1
    out=$(wine reg query 'HKCU\Software\Microsoft\Windows\CurrentVersion\Uninstall\Tayori' | tr -d '\r')
    echo "$out"
    grep -q 'QuietUninstallString' <<<"$out" || return 1
    rm "$inst/bcryptprimitives.dll"
    wine "$(winepath -w "$inst/uninstall.exe")" /S
    wineserver -w
    [ ! -e "$inst/tayori.exe" ] || { echo "tayori.exe still there after uninstalling"; return 1; }
    if wine reg query 'HKCU\Software\Classes\Tayori.mailto' >/dev/null 2>&1; then echo "mailto handler still registered"; return 1; fi
    if wine reg query 'HKCU\Software\Microsoft\Windows\CurrentVersion\Uninstall\Tayori' >/dev/null 2>&1; then echo "uninstall entry still there"; return 1; fi
    [ -z "$(find "$prefix/drive_c/users" -name 'Tayori.lnk')" ] || { echo "the shortcut is still there"; return 1; }
    echo "uninstalled: program, shortcut and registry entries gone"
  }
  under_wine() {
    local prefix rc=0
    prefix=$(mktemp -d)
    WINEPREFIX=$prefix WINEDEBUG=-all WINEDLLOVERRIDES="mscoree=;mshtml=" wine_session "$prefix" || rc=$?
    WINEPREFIX=$prefix wineserver -k 2>/dev/null || true
    rm -rf "$prefix"
    return $rc
  }
  check "under Wine: setup.exe /S installs per user; tayori-cli.exe --version and account list run; mailto registered; uninstall.exe /S removes it all" under_wine
fi

# ---------------------------------------------------------------------------------------------------
if wants macos; then
  step "macOS: Tayori.app layout and Info.plist (the bundle is built on a macOS runner)"
  APPDIR=$(mktemp -d)
  # Any file stands in for the binary here: this checks the bundle's layout and metadata.
  packaging/macos/make-app.sh --binary "$ROOT/Cargo.toml" --out "$APPDIR" --no-icon >/dev/null
  info_plist() {
    /usr/bin/python3 - "$APPDIR/Tayori.app" "$VERSION" <<'PY'
import os, plistlib, sys
app, version = sys.argv[1], sys.argv[2]
with open(os.path.join(app, "Contents/Info.plist"), "rb") as f:
    info = plistlib.load(f)
schemes = [s for t in info["CFBundleURLTypes"] for s in t["CFBundleURLSchemes"]]
assert "mailto" in schemes, schemes
assert info["CFBundleIdentifier"] == "org.tayori.Tayori"
assert info["CFBundlePackageType"] == "APPL"
assert info["CFBundleShortVersionString"] == version, info["CFBundleShortVersionString"]
assert all(p.isdigit() for p in info["CFBundleVersion"].split(".")), info["CFBundleVersion"]
exe = os.path.join(app, "Contents/MacOS", info["CFBundleExecutable"])
assert os.access(exe, os.X_OK), exe
assert info["CFBundleIconFile"] == "tayori"
print({k: info[k] for k in ("CFBundleIdentifier", "CFBundleShortVersionString", "CFBundleExecutable",
                            "LSMinimumSystemVersion")}, "URL schemes:", schemes)
PY
  }
  check "Info.plist (plistlib): mailto in CFBundleURLTypes, bundle id, version $VERSION, executable in Contents/MacOS" info_plist
  iconset_sources() {
    local size
    for size in 16 32 64 128 256 512 1024; do test -s "assets/icons/png/tayori-$size.png" || return 1; done
  }
  check "the PNGs iconutil needs for tayori.icns (16–1024) are in assets/icons/png" iconset_sources
  rm -rf "$APPDIR"
fi

step "packaging checks done in $(( $(date +%s) - T0 )) s"
for f in "${FAILURES[@]}"; do echo "failed: $f"; done
echo "packaging: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
