#!/usr/bin/env bash
# quietly.sh WHAT LOG COMMAND...: runs COMMAND with its output in LOG and
# prints one line; if COMMAND fails, prints the end of LOG, so errors stay
# visible while the Wails, npm and vite chatter of a good build does not.
set -uo pipefail
what=${1:?usage: quietly.sh WHAT LOG COMMAND...}
log=${2:?usage: quietly.sh WHAT LOG COMMAND...}
shift 2
mkdir -p "$(dirname "$log")"
started=$(date +%s)
rc=0
"$@" >"$log" 2>&1 || rc=$?
if ((rc == 0)); then
  echo "$what: ok ($(( $(date +%s) - started )) s)"
  exit 0
fi
echo "$what: FAILED (exit $rc); the last lines of $log:" >&2
# The bindings generator prints every known struct; that is never the error.
grep -v '^KnownStructs:' "$log" | tail -n 60 >&2
exit $rc
