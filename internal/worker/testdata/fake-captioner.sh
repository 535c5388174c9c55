#!/usr/bin/env bash
# fake-captioner.sh is a TEST DOUBLE of a batch captioner, not a captioner:
# it looks at no picture. Like the usual Florence-2, JoyCaption and Qwen-VL
# batch scripts it takes the images folder as its last argument and writes
# <stem>.txt next to each image; the text is a deterministic function of
# the file's bytes, so a test can compute what to expect:
#   "a person, photo <first 8 hex of the image's sha256>, <size> bytes"
# Point LORASTUDIO_WORKER_CAPTIONER at a real captioning script on a GPU
# box for real captions.
#
# Test knobs: FAKE_CAPTIONER_FAIL (print that to stderr and exit 3),
# FAKE_CAPTIONER_SKIP (a stem, e.g. 002, whose .txt is not written).
set -euo pipefail
dir="${!#}"
[ -d "$dir" ] || { echo "usage: fake-captioner.sh [args...] IMAGES_DIR" >&2; exit 2; }
[ "$dir" = "${LORASTUDIO_DATASET_DIR:-}" ] || { echo "LORASTUDIO_DATASET_DIR is not the images folder" >&2; exit 2; }
if [ -n "${FAKE_CAPTIONER_FAIL:-}" ]; then
  echo "$FAKE_CAPTIONER_FAIL" >&2
  exit 3
fi
for f in "$dir"/*; do
  case "$f" in *.txt) continue ;; esac
  stem="$(basename "${f%.*}")"
  [ "$stem" = "${FAKE_CAPTIONER_SKIP:-}" ] && continue
  sum="$(sha256sum "$f" | cut -c1-8)"
  size="$(wc -c < "$f" | tr -d ' ')"
  printf 'a person, photo %s, %s bytes\n' "$sum" "$size" > "${f%.*}.txt"
done
echo "captioned $(ls "$dir" | grep -c '\.txt$') images"
