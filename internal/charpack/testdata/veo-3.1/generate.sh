#!/usr/bin/env bash
# Veo 3.1 video by the Vertex AI (Google Cloud) Veo API.
# Written by LoRA Studio for this Character Pack. Run it from anywhere; the
# video is saved where you run it:
#   VERTEX_ACCESS_TOKEN="$(gcloud auth print-access-token)" GOOGLE_CLOUD_PROJECT=your-project ./generate.sh [OUT.mp4]
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
: "${VERTEX_ACCESS_TOKEN:?set VERTEX_ACCESS_TOKEN, e.g. to the output of: gcloud auth print-access-token}"
: "${GOOGLE_CLOUD_PROJECT:?set GOOGLE_CLOUD_PROJECT to your Google Cloud project id}"
LOCATION="${GOOGLE_CLOUD_LOCATION:-us-central1}"
BASE="${VERTEX_BASE_URL:-https://${LOCATION}-aiplatform.googleapis.com/v1}"
MODEL="projects/${GOOGLE_CLOUD_PROJECT}/locations/${LOCATION}/publishers/google/models/veo-3.1-generate-001"
base64 < 'references/01-frontal.jpg' | tr -d '\n' > "$tmp/ref1"
base64 < 'references/02-three_quarter_left.jpg' | tr -d '\n' > "$tmp/ref2"
base64 < 'references/03-profile_right.jpg' | tr -d '\n' > "$tmp/ref3"
jq -n --rawfile p prompt.txt --rawfile r1 "$tmp/ref1" --rawfile r2 "$tmp/ref2" --rawfile r3 "$tmp/ref3" --arg role 'asset' --arg ar '16:9' --arg res '720p' --arg neg 'blurry, watermark' '{instances: [{prompt: ($p | rtrimstr("\n")), referenceImages: [{image: {bytesBase64Encoded: $r1, mimeType: "image/jpeg"}, referenceType: $role}, {image: {bytesBase64Encoded: $r2, mimeType: "image/jpeg"}, referenceType: $role}, {image: {bytesBase64Encoded: $r3, mimeType: "image/jpeg"}, referenceType: $role}]}], parameters: {aspectRatio: $ar, resolution: $res, durationSeconds: 8, generateAudio: true, sampleCount: 1, negativePrompt: $neg}}' > "$tmp/body.json"

auth=(-H "Authorization: Bearer $VERTEX_ACCESS_TOKEN" -H "Content-Type: application/json")
echo "Submitting to $BASE/$MODEL:predictLongRunning ..." >&2
resp="$(call POST "$BASE/$MODEL:predictLongRunning" "${auth[@]}" --data-binary @"$tmp/body.json")"
op="$(jq -r '.name // empty' <<<"$resp")"
if [ -z "$op" ]; then echo "Vertex AI's answer has no operation name: $resp" >&2; exit 1; fi
echo "Operation $op started; waiting for the video ..." >&2

waited=0
while :; do
  jq -n --arg op "$op" '{operationName: $op}' > "$tmp/poll.json"
  st="$(call POST "$BASE/$MODEL:fetchPredictOperation" "${auth[@]}" --data-binary @"$tmp/poll.json")"
  if [ "$(jq -r '.done // false' <<<"$st")" = true ]; then break; fi
  if [ "$waited" -ge "$POLL_TIMEOUT" ]; then echo "No video after $POLL_TIMEOUT s; operation $op" >&2; exit 1; fi
  sleep "$POLL_SECONDS"; waited=$((waited + POLL_SECONDS))
done
if jq -e '.error' <<<"$st" >/dev/null; then echo "Vertex AI says the video failed: $(jq -c .error <<<"$st")" >&2; exit 1; fi
if jq -e '.response.videos[0].bytesBase64Encoded' <<<"$st" >/dev/null; then
  jq -r '.response.videos[0].bytesBase64Encoded' <<<"$st" | base64 -d > "$OUT"
  echo "Saved $OUT" >&2
elif uri="$(jq -r '.response.videos[0].gcsUri // empty' <<<"$st")" && [ -n "$uri" ]; then
  echo "The video is in Cloud Storage: $uri (copy it with: gcloud storage cp $uri $OUT)" >&2
else
  echo "The finished operation holds no video: $st" >&2; exit 1
fi
