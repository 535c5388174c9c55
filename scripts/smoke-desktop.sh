#!/usr/bin/env bash
# Desktop smoke test, in two parts:
# 1. the production binary opens a real window under Xvfb and stays up
#    (a screenshot of the screen is kept);
# 2. the desktop binary built with -tags dev opens its window and serves the
#    same frontend and bindings; e2e/smoke.mjs reads that DOM and fails
#    unless it shows the studio's first step by its text, in English and in
#    Brazilian Portuguese: an error screen or a blank page fails.
set -euo pipefail
bin=${1:?usage: smoke-desktop.sh BIN DEV_BIN ARTIFACTS_DIR}
dev=${2:?usage: smoke-desktop.sh BIN DEV_BIN ARTIFACTS_DIR}
artifacts=${3:?usage: smoke-desktop.sh BIN DEV_BIN ARTIFACTS_DIR}
mkdir -p "$artifacts"
artifacts=$(cd "$artifacts" && pwd)
out=$artifacts/desktop-window.png
data=$(mktemp -d /tmp/lorastudio-smoke.XXXXXX)
trap 'rm -rf "$data"' EXIT
LORASTUDIO_DATA_DIR=$data xvfb-run -a -s "-screen 0 1280x900x24" bash -c '
  "$0" >"$2/app.log" 2>&1 &
  pid=$!
  sleep 8
  if ! kill -0 $pid 2>/dev/null; then echo "smoke: the app exited early:"; cat "$2/app.log"; exit 1; fi
  import -window root "$1"
  kill $pid; wait $pid 2>/dev/null || true
' "$bin" "$out" "$data"
echo "smoke: the desktop window stayed up; screenshot $out"
dev=$(cd "$(dirname "$dev")" && pwd)/$(basename "$dev")
cd "$(dirname "$0")/../frontend"
node e2e/smoke.mjs --bin "$dev" --artifacts "$artifacts"
