#!/usr/bin/env bash
# tree-check.sh snapshot|check FILE: `make test` snapshots `git status` before
# it builds anything and checks it is unchanged at the end, so a build step
# that rewrites tracked files (as wails build did with the modes of
# frontend/wailsjs/runtime) or leaves untracked ones fails the run.
set -euo pipefail
mode=${1:?usage: tree-check.sh snapshot|check FILE}
file=${2:?usage: tree-check.sh snapshot|check FILE}
cd "$(dirname "$0")/.."
# Only what git sees: content and mode changes, and untracked files.
status() { git status --porcelain=v1 --untracked-files=all; }
case $mode in
snapshot)
  mkdir -p "$(dirname "$file")"
  status >"$file"
  ;;
check)
  if ! diff -u "$file" <(status) >&2; then
    echo "tree-check: the build changed the work tree (lines with + above); build outputs belong in ignored paths" >&2
    exit 1
  fi
  echo "tree-check: the build left the work tree as it found it"
  ;;
*)
  echo "usage: tree-check.sh snapshot|check FILE" >&2
  exit 2
  ;;
esac
