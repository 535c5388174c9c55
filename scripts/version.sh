#!/usr/bin/env bash
# Prints the version to build: wails.json's info.productVersion, the one
# place it is written. A build of anything but a clean checkout of the tag
# v<version> appends +g<commit> (and .dirty), which Debian, semver and the
# About box all read as "after <version>".
set -euo pipefail
cd "$(dirname "$0")/.."
base=$(sed -n 's/^ *"productVersion": *"\([^"]*\)".*/\1/p' wails.json)
if [[ -z $base ]]; then
  echo "version: wails.json has no info.productVersion" >&2
  exit 1
fi
if ! commit=$(git rev-parse --short=7 HEAD 2>/dev/null); then
  echo "$base"   # a source tarball: no history to describe
  exit 0
fi
dirty=
git diff --quiet HEAD -- 2>/dev/null || dirty=.dirty
if [[ -z $dirty ]] && git describe --exact-match --tags --match "v$base" HEAD >/dev/null 2>&1; then
  echo "$base"
else
  echo "$base+g$commit$dirty"
fi
