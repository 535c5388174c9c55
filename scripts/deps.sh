#!/usr/bin/env bash
# Installs the system packages LoRA Studio builds and tests with, on Debian
# or Ubuntu, when they are missing. As root it installs them; otherwise it
# names the command to run and fails.
set -euo pipefail

# A Mac builds with Xcode's command line tools and the system's WebKit, and
# decodes JPEG in pure Go: nothing to install from here.
if [[ $(uname -s) == Darwin ]]; then
  xcode-select -p >/dev/null 2>&1 || { echo "deps: run xcode-select --install first" >&2; exit 1; }
  exit 0
fi

# GTK/WebKit for the Wails window, Xvfb and chromium for the end-to-end
# tests (x11-utils, desktop-file-utils and file for the installed-app check),
# libturbojpeg for fast decoding, nsis for the Windows installer of
# `make dist`, a session bus for the single-instance check, Postgres in case
# none is running.
packages=(
  build-essential pkg-config libgtk-3-dev libwebkit2gtk-4.0-dev libturbojpeg0-dev
  xvfb xauth x11-utils chromium imagemagick fonts-dejavu-core nsis desktop-file-utils file
  dbus-daemon # a session bus: Wails' single-instance handover on Linux, and its check
)
command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || packages+=(postgresql)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "deps: missing ${missing[*]}; install their equivalents with your package manager" >&2
  exit 1
fi
if [[ $(id -u) -ne 0 ]]; then
  echo "deps: missing system packages; run:" >&2
  echo "  sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi
echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
