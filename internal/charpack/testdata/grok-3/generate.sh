#!/usr/bin/env bash
# Grok 3 (Grok Imagine) video by the xAI Video API.
# Written by LoRA Studio for this Character Pack. Run it from anywhere; the
# video is saved where you run it:
#   XAI_API_KEY=your-key ./generate.sh [OUT.mp4]
# Needs curl, jq and base64. The references are read from references/ and
# the prompt from prompt.txt, so you may edit prompt.txt first.
set -euo pipefail
OUT="${1:-video.mp4}"
case "$OUT" in /*) ;; *) OUT="$PWD/$OUT" ;; esac # saved where you ran it
cd "$(dirname "$0")"
for tool in curl jq base64; do
  command -v "$tool" >/dev/null || { echo "generate.sh: please install $tool first" >&2; exit 1; }
done
POLL_SECONDS="${POLL_SECONDS:-10}"
POLL_TIMEOUT="${POLL_TIMEOUT:-1800}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# call METHOD URL [curl options]: prints the answer; stops on an HTTP error.
call() {
  local out code
  out="$(curl -sS -X "$1" "$2" "${@:3}" -w '\n%{http_code}')" || { echo "generate.sh: cannot reach $2" >&2; exit 1; }
  code="${out##*$'\n'}"; out="${out%$'\n'*}"
  case "$code" in
    2??) printf '%s' "$out" ;;
    *) echo "generate.sh: $2 answered HTTP $code: $out" >&2; exit 1 ;;
  esac
}
: "${XAI_API_KEY:?set XAI_API_KEY to your xAI API key (console.x.ai, API Keys)}"
BASE="${XAI_BASE_URL:-https://api.x.ai/v1}"
base64 < 'references/01-frontal.jpg' | tr -d '\n' > "$tmp/ref1"
base64 < 'references/02-three_quarter_left.jpg' | tr -d '\n' > "$tmp/ref2"
base64 < 'references/03-profile_right.jpg' | tr -d '\n' > "$tmp/ref3"
base64 < 'references/04-three_quarter_right.jpg' | tr -d '\n' > "$tmp/ref4"
base64 < 'references/05-profile_left.jpg' | tr -d '\n' > "$tmp/ref5"
base64 < 'references/06-extra.jpg' | tr -d '\n' > "$tmp/ref6"
base64 < 'references/07-extra.jpg' | tr -d '\n' > "$tmp/ref7"
jq -n --rawfile p prompt.txt --rawfile r1 "$tmp/ref1" --rawfile r2 "$tmp/ref2" --rawfile r3 "$tmp/ref3" --rawfile r4 "$tmp/ref4" --rawfile r5 "$tmp/ref5" --rawfile r6 "$tmp/ref6" --rawfile r7 "$tmp/ref7" --arg model 'grok-imagine-video' --arg ar '16:9' --arg res '720p' '{model: $model, prompt: ($p | rtrimstr("\n")), duration: 8, aspect_ratio: $ar, resolution: $res, reference_images: [{url: ("data:image/jpeg;base64," + $r1)}, {url: ("data:image/jpeg;base64," + $r2)}, {url: ("data:image/jpeg;base64," + $r3)}, {url: ("data:image/jpeg;base64," + $r4)}, {url: ("data:image/jpeg;base64," + $r5)}, {url: ("data:image/jpeg;base64," + $r6)}, {url: ("data:image/jpeg;base64," + $r7)}]}' > "$tmp/body.json"

echo "Submitting to $BASE/videos/generations ..." >&2
resp="$(call POST "$BASE/videos/generations" -H "Authorization: Bearer $XAI_API_KEY" -H "Content-Type: application/json" --data-binary @"$tmp/body.json")"
id="$(jq -r '.request_id // empty' <<<"$resp")"
if [ -z "$id" ]; then echo "xAI's answer has no request_id: $resp" >&2; exit 1; fi
echo "Request $id accepted; waiting for the video ..." >&2

waited=0
while :; do
  st="$(call GET "$BASE/videos/$id" -H "Authorization: Bearer $XAI_API_KEY")"
  case "$(jq -r '.status // empty' <<<"$st")" in
    done) break ;;
    failed|expired|error) echo "xAI says the video failed: $st" >&2; exit 1 ;;
  esac
  if [ "$waited" -ge "$POLL_TIMEOUT" ]; then echo "No video after $POLL_TIMEOUT s; request id $id" >&2; exit 1; fi
  sleep "$POLL_SECONDS"; waited=$((waited + POLL_SECONDS))
done
url="$(jq -r '.video.url // .url // empty' <<<"$st")"
if [ -z "$url" ]; then echo "The finished request has no video URL: $st" >&2; exit 1; fi
curl -sS -f -o "$OUT" "$url"
echo "Saved $OUT" >&2
