#!/usr/bin/env bash
# Starts the real desktop binary under Xvfb (and a private D-Bus session bus,
# which Wails' single-instance lock uses on Linux) and checks that one data
# folder runs one app: a second launch hands over and exits within seconds
# without opening the database; another data folder runs side by side; two
# launches at the same moment leave exactly one app; a crashed app leaves
# no lock behind; and when the winner of a race dies before it is ready,
# the other launch takes over.
#
#   scripts/single-instance-desktop.sh BIN [ARGS...]
#
# ARGS go to every launch (a dev binary needs -assetdir DIR -devserver 127.0.0.1:0).
set -euo pipefail
bin=$(realpath "${1:?usage: single-instance-desktop.sh BIN [ARGS...]}")
shift
if [[ -z "${SINGLE_INSTANCE_INNER:-}" ]]; then
  export SINGLE_INSTANCE_INNER=1
  if ! command -v dbus-run-session >/dev/null; then
    # Then Wails cannot pass a launch over; the data folder's lock still holds.
    echo "single-instance: no dbus-run-session (package dbus-daemon): checking without a session bus" >&2
    unset DBUS_SESSION_BUS_ADDRESS
    exec xvfb-run -a -s "-screen 0 1280x900x24" "$0" "$bin" "$@"
  fi
  exec dbus-run-session -- xvfb-run -a -s "-screen 0 1280x900x24" "$0" "$bin" "$@" 2> >(grep -v '^dbus-daemon' >&2)
fi

work=$(mktemp -d /tmp/lorastudio-instance.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "single-instance: $*" >&2; for f in "$work"/*.log; do echo "--- $f" >&2; tail -20 "$f" >&2; done; exit 1; }

# launch NAME DATA [ARGS...]: starts the app in the background; its pid is in $last.
launch() {
  local name=$1 data=$2
  shift 2
  LORASTUDIO_DATA_DIR=$work/$data "$bin" "$@" >"$work/$name.log" 2>&1 &
  last=$!
  pids+=("$last")
}
# wait_ready DATA [PID]: waits until an app (that one, if PID is given) marked DATA ready.
wait_ready() {
  for _ in $(seq 1 600); do
    grep -q "^ready ${2:-}" "$work/$1/instance.lock" 2>/dev/null && return 0
    sleep 0.1
  done
  fail "the app on $1 was not ready within 60 s"
}
# exits_within SECONDS PID: true when PID ends in time; sets $rc.
exits_within() {
  local deadline=$((SECONDS + $1))
  while kill -0 "$2" 2>/dev/null; do
    ((SECONDS < deadline)) || return 1
    sleep 0.1
  done
  rc=0; wait "$2" || rc=$?
}
started() { grep -c '"desktop started"' "$work/$1/logs/desktop.log" || true; }
# crashed NAME...: true when one of these launches crashed: Go's crash
# report, for a signal raised in C code (WebKit's abort) or a panic.
crashed() {
  local name
  for name in "$@"; do
    grep -qE '^(SIG[A-Z]+: |panic: |fatal error: )' "$work/$name.log" && return 0
  done
  return 1
}

mkdir -m 700 "$work/one" "$work/two" "$work/race"

# 1. A second launch on the same folder hands over and leaves.
launch first one "$@"
first=$last
wait_ready one "$first"
t0=$(date +%s%N)
launch second one "$@" --open /etc/passwd
exits_within 15 "$last" || fail "the second launch on one data folder still runs after 15 s"
ms=$((($(date +%s%N) - t0) / 1000000))
kill -0 "$first" 2>/dev/null || fail "the first app exited when the second was launched"
n=$(started one)
((n == 1)) || fail "the database was opened $n times on one data folder, want 1"
if [[ -n "${DBUS_SESSION_BUS_ADDRESS:-}" ]]; then
  for _ in $(seq 1 50); do grep -q '"second launch handed over"' "$work/one/logs/desktop.log" && break; sleep 0.1; done
  grep -q '"second launch handed over"' "$work/one/logs/desktop.log" || fail "the first app did not hear of the second launch"
fi
echo "single-instance: the second launch on one data folder exited (code $rc) in $ms ms; one app remains${DBUS_SESSION_BUS_ADDRESS:+, and it heard of the launch}"

# 2. Another data folder runs beside it.
launch other two "$@"
other=$last
wait_ready two "$other"
sleep 1
kill -0 "$other" 2>/dev/null || fail "an app on another data folder did not stay up"
kill -0 "$first" 2>/dev/null || fail "the first app exited when another folder's app started"
kill "$other" "$first"
echo "single-instance: another data folder ran side by side"

# 3. Two launches at the same moment (a double double-click) leave one.
# WebKitGTK now and then aborts a Wails app as it starts (wails#1268; once
# in CI here, the winner of the race): the other launch then rightly takes
# over and opens the database a second time. A launch that crashed is
# not the lock's doing (scenario 5 checks the takeover), so the race is
# run again, once.
for attempt in 1 2; do
  rm -rf "$work/race" && mkdir -m 700 "$work/race"
  launch race1 race "$@"
  a=$last
  launch race2 race "$@"
  b=$last
  wait_ready race
  deadline=$((SECONDS + 30))
  while kill -0 "$a" 2>/dev/null && kill -0 "$b" 2>/dev/null; do
    ((SECONDS < deadline)) || fail "two apps run on one data folder after 30 s"
    sleep 0.1
  done
  sleep 2
  if ((attempt == 1)) && crashed race1 race2; then
    echo "single-instance: a launch crashed as it started (WebKitGTK); running the race again" >&2
    for p in "$a" "$b"; do kill -9 "$p" 2>/dev/null || true; { wait "$p"; } 2>/dev/null || true; done
    continue
  fi
  alive=0
  for p in "$a" "$b"; do kill -0 "$p" 2>/dev/null && alive=$((alive + 1)); done
  ((alive == 1)) || fail "$alive apps remain after two simultaneous launches, want 1"
  n=$(started race)
  ((n == 1)) || fail "the database was opened $n times by two simultaneous launches, want 1"
  break
done
echo "single-instance: two simultaneous launches left one app"

# 4. A crashed app leaves no lock behind: the next launch is the app.
for p in "$a" "$b"; do kill -9 "$p" 2>/dev/null || true; { wait "$p"; } 2>/dev/null || true; done
launch after-crash race "$@"
wait_ready race "$last"
sleep 1
kill -0 "$last" 2>/dev/null || fail "the launch after a crash did not stay up"
n=$(started race)
((n == 2)) || fail "the launch after a crash did not open the database (started $n times, want 2)"
echo "single-instance: after a crash the next launch started"

# 5. When the race's winner dies before it is ready (as WebKitGTK made it
# once in CI), the launch waiting on it takes over and is the app. A
# wrapper aborts whichever launch holds the lock before it is ready, once.
kill "$last" 2>/dev/null || true
mkdir -m 700 "$work/early"
cat >"$work/abort-winner.sh" <<WRAP
#!/usr/bin/env bash
(for _ in \$(seq 1 500); do
   if grep -q "^starting \$\$\\\$" "\$LORASTUDIO_DATA_DIR/instance.lock" 2>/dev/null; then
     mkdir "$work/aborted" 2>/dev/null && kill -ABRT \$\$
     exit
   fi
   sleep 0.01
 done) &
exec "$bin" "\$@"
WRAP
chmod +x "$work/abort-winner.sh"
real=$bin
bin=$work/abort-winner.sh
launch early1 early "$@"
a=$last
launch early2 early "$@"
b=$last
bin=$real
wait_ready early
sleep 2
[[ -d $work/aborted ]] || fail "the wrapper aborted no launch: the check proves nothing"
survivor=
for p in "$a" "$b"; do kill -0 "$p" 2>/dev/null && survivor=$survivor$p; done
[[ $survivor == "$a" || $survivor == "$b" ]] || fail "apps alive after the race's winner died before it was ready: '${survivor}', want one"
grep -q "^ready $survivor\$" "$work/early/instance.lock" || fail "the launch that remains is not the ready app: $(cat "$work/early/instance.lock")"
n=$(started early)
((n >= 1 && n <= 2)) || fail "the database was opened $n times, want once by the launch that took over (and once more if the winner got that far)"
echo "single-instance: when the race's winner died as it started, the other launch took over"
