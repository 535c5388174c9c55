#!/usr/bin/env bash
# Desktop figures: cold start to first paint and idle memory of the real
# desktop app in a real window under Xvfb, beside Debian's chromium showing
# the same built frontend as an app window (the peer: the same UI, no Go).
#
#   bash bench/desktop/run.sh [RUNS]     (after `make build`)
#
# First paint: from exec until a screenshot of the screen shows more than
# 16 colours. Idle memory: summed RSS of the whole process tree (WebKit and
# chromium both run helper processes) after 10 s of idling.
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${1:-3}
BIN=build/bin/lorastudio-desktop
[[ -x $BIN && -f frontend/dist/index.html ]] || { echo "build it first: make build"; exit 1; }

disp=:$((90 + RANDOM % 9))
Xvfb "$disp" -screen 0 1280x900x24 >/dev/null 2>&1 &
xvfb=$!
work=$(mktemp -d)
trap 'kill $xvfb 2>/dev/null; rm -rf "$work"' EXIT
export DISPLAY=$disp
# The peer loads the same built frontend over HTTP, as a browser tab would.
port=$((20000 + RANDOM % 20000))
python3 -m http.server --bind 127.0.0.1 "$port" --directory frontend/dist >/dev/null 2>&1 &
httpd=$!
trap 'kill $xvfb $httpd 2>/dev/null; rm -rf "$work"' EXIT
sleep 1

tree_rss_mb() { # PID: summed RSS of PID and its descendants, in MB
	local all=$1 pids=$1
	while [[ -n $pids ]]; do
		pids=$(for p in $pids; do pgrep -P "$p" || true; done | xargs)
		all="$all $pids"
	done
	ps -o rss= -p "$(echo $all | tr ' ' ',')" | awk '{s += $1} END {printf "%.0f", s / 1024}'
}

measure() { # NAME CMD...: prints "NAME first_paint_ms idle_rss_mb"
	local name=$1; shift
	local shot=$work/shot.png start pid paint=timeout
	start=$(date +%s%N)
	"$@" >"$work/$name.log" 2>&1 &
	pid=$!
	for _ in $(seq 1 400); do
		if import -window root "$shot" 2>/dev/null && (( $(identify -format %k "$shot") > 16 )); then
			paint=$(( ($(date +%s%N) - start) / 1000000 )); break
		fi
		sleep 0.02
	done
	sleep 10
	echo "$name $paint $(tree_rss_mb $pid)"
	pkill -TERM -P $pid 2>/dev/null || true
	kill $pid 2>/dev/null || true
	wait $pid 2>/dev/null || true
	sleep 1
}

echo "| run | lorastudio first paint (ms) | idle RSS (MB) | chromium --app first paint (ms) | idle RSS (MB) |"
echo "| --- | ---: | ---: | ---: | ---: |"
for i in $(seq 1 "$RUNS"); do
	data=$(mktemp -d "$work/data.XXXX") # a new data folder: a cold start, migrations included
	set -- $(LORASTUDIO_DATA_DIR=$data measure lorastudio "$BIN")
	ours="$2 | $3"
	set -- $(measure chromium /usr/bin/chromium --no-sandbox --disable-gpu --no-first-run --disable-background-networking \
		--disable-component-update --disable-sync --user-data-dir="$work/profile$i" --window-size=1280,860 \
		--app="http://127.0.0.1:$port/")
	echo "| $i | $ours | $2 | $3 |"
done
echo
echo "cores: $(nproc), load: $(cut -d' ' -f1-3 /proc/loadavg)"
