#!/usr/bin/env bash
# fake-trainer.sh is a TEST DOUBLE of a LoRA trainer, not a trainer: it
# trains nothing. It checks what the worker prepared (the config file with
# the trigger word, one caption per photo), prints step counters like
# ai-toolkit and sd-scripts do, and writes files where the real trainer
# would: a genuine but tiny safetensors LoRA (two layers, rank 2, zero
# weights) at each save step and at the end, and real (8x8, one colour)
# PNG sample images, or JPEG ones as ai-toolkit writes by default, at each
# sample step. Point LORASTUDIO_WORKER_TRAINER_FLUX at ai-toolkit and
# LORASTUDIO_WORKER_TRAINER_SDXL at sd-scripts on a GPU box for real
# training (see the README).
#
# Usage: fake-trainer.sh [ai-toolkit|sd-scripts] CONFIG. Named, it refuses
# the other trainer's config as the real one does (ai-toolkit reads YAML,
# sd-scripts TOML); unnamed, the config's extension picks the layout.
# Layouts (as read in the trainers' sources, see internal/worker/layout.go):
#   ai-toolkit: OUT/lora/lora_<step:09d>.safetensors, OUT/lora/lora.safetensors,
#               OUT/lora/samples/<ms>__<step:09d>_<i>.png|jpg
#   sd-scripts: OUT/lora-step<step:08d>.safetensors, OUT/lora.safetensors,
#               OUT/sample/lora_<step:06d>_<i:02d>_<%Y%m%d%H%M%S>_<seed>.png
# It reads save_every / sample_every and the prompts from the config.
#
# Environment from the worker: LORASTUDIO_OUTPUT_DIR, LORASTUDIO_DATASET_DIR,
# LORASTUDIO_STEPS, LORASTUDIO_TRIGGER_WORD. Test knobs: FAKE_TRAINER_RUNS
# (a file that gets one line per run), FAKE_TRAINER_DATASET_COPY (a folder
# that gets a copy of the dataset the trainer was given, photos and
# captions, in a folder named after the job's), FAKE_TRAINER_FAIL (exit 1 with that
# message; printf %b escapes such as \0 are expanded, so a test can print
# a NUL), FAKE_TRAINER_MS_PER_KSTEP (milliseconds of sleep per 1000
# steps), FAKE_TRAINER_SAMPLE_FORMAT=jpg (ai-toolkit writes JPEG, as one
# that ignores the config's "format: png" would), FAKE_TRAINER_SKIP_SAMPLE
# (a step:index pair, e.g. 50:1, whose sample is not written).
set -euo pipefail
mode=""
suffix=""
case "${1:-}" in ai-toolkit|sd-scripts) mode=$1; shift ;; esac
config=${1:?usage: fake-trainer.sh [ai-toolkit|sd-scripts] CONFIG}
[ -f "$config" ] || { echo "no config file $config" >&2; exit 2; }
case "$mode:$config" in
  ai-toolkit:*.yaml|sd-scripts:*.toml) ;;
  ai-toolkit:*) echo "ai-toolkit: cannot read $config, expected a .yaml or .json job file" >&2; exit 2 ;;
  sd-scripts:*) echo "sd-scripts: --config_file $config is not TOML" >&2; exit 2 ;;
  :*.yaml) mode=ai-toolkit ;;
  :*.toml) mode=sd-scripts ;;
  *) echo "unknown config $config" >&2; exit 2 ;;
esac
grep -q -- "$LORASTUDIO_TRIGGER_WORD" "$config" || { echo "trigger word missing from $config" >&2; exit 2; }
photos=0
for f in "$LORASTUDIO_DATASET_DIR"/*; do
  case "$f" in *.txt) continue ;; esac
  [ -f "${f%.*}.txt" ] || { echo "no caption for $f" >&2; exit 2; }
  photos=$((photos + 1))
done
[ "$photos" -gt 0 ] || { echo "no photos in $LORASTUDIO_DATASET_DIR" >&2; exit 2; }
if [ -n "${FAKE_TRAINER_RUNS:-}" ]; then echo "run $(basename "$(dirname "$config")")" >> "$FAKE_TRAINER_RUNS"; fi
# What the worker prepared, kept for the test: the worker deletes the
# photos and captions once the job ends.
if [ -n "${FAKE_TRAINER_DATASET_COPY:-}" ]; then
  copy="$FAKE_TRAINER_DATASET_COPY/$(basename "$(dirname "$config")")"
  mkdir -p "$copy" && cp -p "$LORASTUDIO_DATASET_DIR"/* "$copy"/
fi
echo "fake trainer: $photos photos, config $config ($mode layout)"
if [ -n "${FAKE_TRAINER_FAIL:-}" ]; then printf '%b\n' "$FAKE_TRAINER_FAIL" >&2; exit 1; fi
steps=${LORASTUDIO_STEPS:?}
out=$LORASTUDIO_OUTPUT_DIR

# What the config asks for: the save interval, the sample interval and
# the number of prompts (0: no samples).
if [ "$mode" = ai-toolkit ]; then
  save_every=$(sed -n 's/^ *save_every: *\([0-9]*\)$/\1/p' "$config")
  sample_every=$(sed -n 's/^ *sample_every: *\([0-9]*\)$/\1/p' "$config")
  prompts=$(sed -n '/^ *prompts:$/,/^ *neg:/p' "$config" | grep -c '^ *- "' || true)
  root=$out/lora
  format=png
  grep -q '^ *format: png$' "$config" || format=jpg
  format=${FAKE_TRAINER_SAMPLE_FORMAT:-$format}
  # Wan 2.2 A14B with one expert trained: save_lora (wan22_14b_model.py)
  # names the file after the expert.
  if grep -q '^ *train_high_noise: false$' "$config" && grep -q '^ *train_low_noise: true$' "$config"; then
    suffix=_low_noise
  fi
else
  save_every=$(sed -n 's/^save_every_n_steps = \([0-9]*\)$/\1/p' "$config")
  sample_every=$(sed -n 's/^sample_every_n_steps = \([0-9]*\)$/\1/p' "$config")
  pfile=$(sed -n 's/^sample_prompts = "\(.*\)"$/\1/p' "$config")
  prompts=0
  if [ -n "$pfile" ]; then prompts=$(grep -cv '^#' "$pfile" || true); fi
  root=$out
  format=png
fi
save_every=${save_every:-0}
sample_every=${sample_every:-0}
mkdir -p "$root"

# A safetensors file: u64 little-endian header length, JSON header padded
# with spaces to 8 bytes, then the tensors' bytes.
lora() { # PATH STEP
  local header='{"__metadata__":{"format":"pt","trainer":"fake-trainer.sh (test double)","step":"'$2'"},'
  header+='"lora_unet_single_blocks_0_linear1.lora_down.weight":{"dtype":"F32","shape":[2,4],"data_offsets":[0,32]},'
  header+='"lora_unet_single_blocks_0_linear1.lora_up.weight":{"dtype":"F32","shape":[4,2],"data_offsets":[32,64]}}'
  while [ $(( ${#header} % 8 )) -ne 0 ]; do header+=' '; done
  {
    local n=${#header}
    for _ in 1 2 3 4 5 6 7 8; do
      printf "\\$(printf '%03o' $((n & 255)))"
      n=$((n >> 8))
    done
    printf '%s' "$header"
    head -c 64 /dev/zero
  } > "$1"
  echo "saved $1"
}

# 8x8 images of one colour each, encoded by Go's image/png and image/jpeg.
png_b64=(
  'iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAGUlEQVR4nGI5oaHBgA0wYRUdtBKAAAAA///ikAErNM52MwAAAABJRU5ErkJggg=='
  'iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAGUlEQVR4nGLRWGDDgA0wYRUdtBKAAAAA///SZAEXArRP0QAAAABJRU5ErkJggg=='
  'iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAGUlEQVR4nGLRsDnBgA0wYRUdtBKAAAAA///wyAE/wAY4UAAAAABJRU5ErkJggg=='
)
jpg_b64=(
  '/9j/2wCEAAYEBQYFBAYGBQYHBwYIChAKCgkJChQODwwQFxQYGBcUFhYaHSUfGhsjHBYWICwgIyYnKSopGR8tMC0oMCUoKSgBBwcHCggKEwoKEygaFhooKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKP/AABEIAAgACAMBIgACEQEDEQH/xAGiAAABBQEBAQEBAQAAAAAAAAAAAQIDBAUGBwgJCgsQAAIBAwMCBAMFBQQEAAABfQECAwAEEQUSITFBBhNRYQcicRQygZGhCCNCscEVUtHwJDNicoIJChYXGBkaJSYnKCkqNDU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6g4SFhoeIiYqSk5SVlpeYmZqio6Slpqeoqaqys7S1tre4ubrCw8TFxsfIycrS09TV1tfY2drh4uPk5ebn6Onq8fLz9PX29/j5+gEAAwEBAQEBAQEBAQAAAAAAAAECAwQFBgcICQoLEQACAQIEBAMEBwUEBAABAncAAQIDEQQFITEGEkFRB2FxEyIygQgUQpGhscEJIzNS8BVictEKFiQ04SXxFxgZGiYnKCkqNTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqCg4SFhoeIiYqSk5SVlpeYmZqio6Slpqeoqaqys7S1tre4ubrCw8TFxsfIycrS09TV1tfY2dri4+Tl5ufo6ery8/T19vf4+fr/2gAMAwEAAhEDEQA/AOKooorwD9bP/9k='
  '/9j/2wCEAAYEBQYFBAYGBQYHBwYIChAKCgkJChQODwwQFxQYGBcUFhYaHSUfGhsjHBYWICwgIyYnKSopGR8tMC0oMCUoKSgBBwcHCggKEwoKEygaFhooKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKP/AABEIAAgACAMBIgACEQEDEQH/xAGiAAABBQEBAQEBAQAAAAAAAAAAAQIDBAUGBwgJCgsQAAIBAwMCBAMFBQQEAAABfQECAwAEEQUSITFBBhNRYQcicRQygZGhCCNCscEVUtHwJDNicoIJChYXGBkaJSYnKCkqNDU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6g4SFhoeIiYqSk5SVlpeYmZqio6Slpqeoqaqys7S1tre4ubrCw8TFxsfIycrS09TV1tfY2drh4uPk5ebn6Onq8fLz9PX29/j5+gEAAwEBAQEBAQEBAQAAAAAAAAECAwQFBgcICQoLEQACAQIEBAMEBwUEBAABAncAAQIDEQQFITEGEkFRB2FxEyIygQgUQpGhscEJIzNS8BVictEKFiQ04SXxFxgZGiYnKCkqNTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqCg4SFhoeIiYqSk5SVlpeYmZqio6Slpqeoqaqys7S1tre4ubrCw8TFxsfIycrS09TV1tfY2dri4+Tl5ufo6ery8/T19vf4+fr/2gAMAwEAAhEDEQA/AMuiiivnT4Q//9k='
  '/9j/2wCEAAYEBQYFBAYGBQYHBwYIChAKCgkJChQODwwQFxQYGBcUFhYaHSUfGhsjHBYWICwgIyYnKSopGR8tMC0oMCUoKSgBBwcHCggKEwoKEygaFhooKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKP/AABEIAAgACAMBIgACEQEDEQH/xAGiAAABBQEBAQEBAQAAAAAAAAAAAQIDBAUGBwgJCgsQAAIBAwMCBAMFBQQEAAABfQECAwAEEQUSITFBBhNRYQcicRQygZGhCCNCscEVUtHwJDNicoIJChYXGBkaJSYnKCkqNDU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6g4SFhoeIiYqSk5SVlpeYmZqio6Slpqeoqaqys7S1tre4ubrCw8TFxsfIycrS09TV1tfY2drh4uPk5ebn6Onq8fLz9PX29/j5+gEAAwEBAQEBAQEBAQAAAAAAAAECAwQFBgcICQoLEQACAQIEBAMEBwUEBAABAncAAQIDEQQFITEGEkFRB2FxEyIygQgUQpGhscEJIzNS8BVictEKFiQ04SXxFxgZGiYnKCkqNTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqCg4SFhoeIiYqSk5SVlpeYmZqio6Slpqeoqaqys7S1tre4ubrCw8TFxsfIycrS09TV1tfY2dri4+Tl5ufo6ery8/T19vf4+fr/2gAMAwEAAhEDEQA/APMqKKK/Uzxz/9k='
)

due() { # STEP EVERY: is STEP a multiple of a set EVERY
  [ "$2" -gt 0 ] && [ $(( $1 % $2 )) -eq 0 ]
}

samples() { # STEP
  local i name
  for ((i = 0; i < prompts; i++)); do
    [ "${FAKE_TRAINER_SKIP_SAMPLE:-}" = "$1:$i" ] && continue
    if [ "$mode" = ai-toolkit ]; then
      mkdir -p "$root/samples"
      name=$root/samples/$(date +%s%3N)__$(printf %09d "$1")_$i.$format
    else
      mkdir -p "$root/sample"
      name=$root/sample/lora_$(printf %06d "$1")_$(printf %02d "$i")_$(date +%Y%m%d%H%M%S)_$((42 + i)).png
    fi
    if [ "$format" = jpg ] && [ "$mode" = ai-toolkit ]; then
      printf '%s' "${jpg_b64[i % 3]}" | base64 -d > "$name"
    else
      printf '%s' "${png_b64[i % 3]}" | base64 -d > "$name"
    fi
  done
}

ms=$(( ${FAKE_TRAINER_MS_PER_KSTEP:-0} * steps / 4000 ))
for q in 1 2 3 4; do
  sleep "$((ms / 1000)).$(printf %03d $((ms % 1000)))"
  from=$(( steps * (q - 1) / 4 + 1 )); to=$(( steps * q / 4 ))
  for ((k = from; k <= to; k++)); do
    # Like the real ones, a step's files are written before the next
    # step is counted; the last step's come after the loop.
    if [ "$k" -lt "$steps" ] && { due "$k" "$save_every" || due "$k" "$sample_every"; }; then
      echo "lora: | $k/$steps [00:0$q<00:00, 1.00it/s]"
      if [ "$mode" = sd-scripts ] && due "$k" "$sample_every"; then samples "$k"; fi
      if due "$k" "$save_every"; then
        if [ "$mode" = ai-toolkit ]; then lora "$(printf '%s/lora_%09d%s.safetensors' "$root" "$k" "$suffix")" "$k"; else lora "$(printf '%s/lora-step%08d.safetensors' "$root" "$k")" "$k"; fi
      fi
      if [ "$mode" = ai-toolkit ] && due "$k" "$sample_every"; then samples "$k"; fi
    fi
  done
  echo "lora: $((q * 25))%| $to/$steps [00:0$q<00:00, 1.00it/s]"
done
# The end: sd-scripts samples the last step only when it is a sample step
# (then it also saves a step file); ai-toolkit always samples it.
if [ "$mode" = sd-scripts ] && due "$steps" "$sample_every"; then
  samples "$steps"
  lora "$(printf '%s/lora-step%08d.safetensors' "$root" "$steps")" "$steps"
fi
lora "$root/lora$suffix.safetensors" "$steps"
if [ "$mode" = ai-toolkit ] && [ "$sample_every" -gt 0 ]; then samples "$steps"; fi
