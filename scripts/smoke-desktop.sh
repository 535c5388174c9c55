#!/usr/bin/env bash
# Starts the production desktop binary in a real window under Xvfb, checks
# it stays up, and keeps a screenshot of the screen: proof that `make run`
# shows the studio on this machine.
set -euo pipefail
bin=${1:?usage: smoke-desktop.sh BIN OUT.png}
out=${2:?usage: smoke-desktop.sh BIN OUT.png}
mkdir -p "$(dirname "$out")"
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
# A blank screen has one colour; the studio has text, borders and a header.
colours=$(identify -format '%k' "$out")
if ((colours < 16)); then
  echo "smoke: the screenshot has only $colours colours: the window shows nothing" >&2
  exit 1
fi
echo "smoke: desktop window up, screenshot $out ($colours colours)"
