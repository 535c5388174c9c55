package charpack

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/promptforge/lorastudio/internal/compiler"
)

// ScriptName is the runnable API client a pack carries for a platform whose
// API is live.
const ScriptName = "generate.sh"

// script writes generate.sh: it reads the credential from an environment
// variable, base64-encodes the references, submits, polls and saves the
// video. The base URL comes from an environment variable whose default is
// the real API, so a test can point it at a fake server. It returns "" for
// an API this package has no script for (OpenAI's, shut down).
func script(p compiler.Profile, r compiler.Result, refPaths []string) string {
	if p.API == nil || p.Status == compiler.StatusShutDown {
		return ""
	}
	switch p.API.Format {
	case "xai_videos":
		return xaiScript(p, r, refPaths)
	case "vertex_veo":
		return vertexScript(p, r, refPaths)
	}
	return ""
}

// scriptHead is shared: strict mode, the pack's folder, tools, temp files.
func scriptHead(b *strings.Builder, title, usage string) {
	fmt.Fprintf(b, `#!/usr/bin/env bash
# %s
# Written by LoRA Studio for this Character Pack. Run it from anywhere; the
# video is saved where you run it:
#   %s
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
  out="$(curl -sS -X "$1" "$2" "${@:3}" -w '\n%%{http_code}')" || { echo "generate.sh: cannot reach $2" >&2; exit 1; }
  code="${out##*$'\n'}"; out="${out%%$'\n'*}"
  case "$code" in
    2??) printf '%%s' "$out" ;;
    *) echo "generate.sh: $2 answered HTTP $code: $out" >&2; exit 1 ;;
  esac
}
`, title, usage)
}

// jqRefs writes the base64 of each reference to a temp file and returns
// the jq arguments that read them (--rawfile keeps them out of argv, whose
// single-argument limit a photo's base64 would pass).
func jqRefs(b *strings.Builder, refPaths []string) string {
	var args []string
	for i, f := range refPaths {
		fmt.Fprintf(b, "base64 < %s | tr -d '\\n' > \"$tmp/ref%d\"\n", shellQuote(f), i+1)
		args = append(args, fmt.Sprintf(`--rawfile r%d "$tmp/ref%d"`, i+1, i+1))
	}
	return strings.Join(args, " ")
}

func xaiScript(p compiler.Profile, r compiler.Result, refPaths []string) string {
	var b strings.Builder
	scriptHead(&b, p.Name+" ("+p.Product+") video by the "+p.API.Name+".", "XAI_API_KEY=your-key ./generate.sh [OUT.mp4]")
	endpoint := strings.TrimSuffix(p.API.Endpoint, "/videos/generations")
	fmt.Fprintf(&b, `: "${XAI_API_KEY:?set XAI_API_KEY to your xAI API key (console.x.ai, API Keys)}"
BASE="${XAI_BASE_URL:-%s}"
`, endpoint)
	args := jqRefs(&b, refPaths)
	var refs []string
	for i := range refPaths {
		refs = append(refs, fmt.Sprintf(`{url: ("data:image/jpeg;base64," + $r%d)}`, i+1))
	}
	args += jqArgs("model", r.Params.Model, "ar", r.Params.AspectRatio, "res", r.Params.Resolution)
	body := fmt.Sprintf(`{model: $model, prompt: ($p | rtrimstr("\n")), duration: %d, aspect_ratio: $ar, resolution: $res`, r.Params.DurationS)
	if len(refs) > 0 {
		body += ", reference_images: [" + strings.Join(refs, ", ") + "]"
	}
	body += "}"
	fmt.Fprintf(&b, `jq -n --rawfile p prompt.txt %s '%s' > "$tmp/body.json"

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
`, args, body)
	return b.String()
}

func vertexScript(p compiler.Profile, r compiler.Result, refPaths []string) string {
	var b strings.Builder
	scriptHead(&b, p.Name+" video by the "+p.API.Name+".", `VERTEX_ACCESS_TOKEN="$(gcloud auth print-access-token)" GOOGLE_CLOUD_PROJECT=your-project ./generate.sh [OUT.mp4]`)
	fmt.Fprintf(&b, `: "${VERTEX_ACCESS_TOKEN:?set VERTEX_ACCESS_TOKEN, e.g. to the output of: gcloud auth print-access-token}"
: "${GOOGLE_CLOUD_PROJECT:?set GOOGLE_CLOUD_PROJECT to your Google Cloud project id}"
LOCATION="${GOOGLE_CLOUD_LOCATION:-us-central1}"
BASE="${VERTEX_BASE_URL:-https://${LOCATION}-aiplatform.googleapis.com/v1}"
MODEL="projects/${GOOGLE_CLOUD_PROJECT}/locations/${LOCATION}/publishers/google/models/%s"
`, r.Params.Model)
	args := jqRefs(&b, refPaths)
	var refs []string
	if r.References.Upload {
		for i := range refPaths {
			refs = append(refs, fmt.Sprintf(`{image: {bytesBase64Encoded: $r%d, mimeType: "image/jpeg"}, referenceType: $role}`, i+1))
		}
	}
	inst := `{prompt: ($p | rtrimstr("\n"))`
	if len(refs) > 0 {
		inst += ", referenceImages: [" + strings.Join(refs, ", ") + "]"
	}
	inst += "}"
	args += jqArgs("role", r.References.Role, "ar", r.Params.AspectRatio, "res", r.Params.Resolution)
	params := fmt.Sprintf(`aspectRatio: $ar, resolution: $res, durationSeconds: %d, generateAudio: %t, sampleCount: 1`, r.Params.DurationS, r.Params.Audio)
	if r.Params.NegativePrompt != "" {
		args += jqArgs("neg", r.Params.NegativePrompt)
		params += ", negativePrompt: $neg"
	}
	if r.Params.Seed != nil {
		params += ", seed: " + strconv.FormatInt(*r.Params.Seed, 10)
	}
	fmt.Fprintf(&b, `jq -n --rawfile p prompt.txt %s '{instances: [%s], parameters: {%s}}' > "$tmp/body.json"

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
`, args, inst, params)
	return b.String()
}

// jqArgs passes strings to jq as --arg NAME VALUE, shell-quoted: a value
// never becomes part of the jq program or the shell's syntax.
func jqArgs(kv ...string) string {
	var b strings.Builder
	for i := 0; i+1 < len(kv); i += 2 {
		fmt.Fprintf(&b, " --arg %s %s", kv[i], shellQuote(kv[i+1]))
	}
	return b.String()
}

// shellQuote quotes a pack path for bash; pack paths are plain, but the
// quoting keeps the script right if one ever is not.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
