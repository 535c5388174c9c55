#!/usr/bin/env bash
# fake-trainer.sh is a TEST DOUBLE of a LoRA trainer, not a trainer: it
# trains nothing. It checks what the worker prepared (the config file with
# the trigger word, one caption per photo), prints step counters like
# ai-toolkit and sd-scripts do, and writes a genuine but tiny safetensors
# LoRA (two layers, rank 2, zero weights) where the worker expects the
# artifact. Point LORASTUDIO_WORKER_TRAINER at ai-toolkit or sd-scripts on
# a GPU box for real training (see the README).
#
# Usage: fake-trainer.sh CONFIG. Environment from the worker:
# LORASTUDIO_OUTPUT_DIR, LORASTUDIO_DATASET_DIR, LORASTUDIO_STEPS,
# LORASTUDIO_TRIGGER_WORD. Test knobs: FAKE_TRAINER_RUNS (a file that gets
# one line per run), FAKE_TRAINER_FAIL (exit 1 with that message; printf
# %b escapes such as \0 are expanded, so a test can print a NUL),
# FAKE_TRAINER_MS_PER_KSTEP (milliseconds of sleep per 1000 steps, so a
# test sets how long each job "trains" through its steps parameter).
set -euo pipefail
config=${1:?usage: fake-trainer.sh CONFIG}
[ -f "$config" ] || { echo "no config file $config" >&2; exit 2; }
grep -q -- "$LORASTUDIO_TRIGGER_WORD" "$config" || { echo "trigger word missing from $config" >&2; exit 2; }
photos=0
for f in "$LORASTUDIO_DATASET_DIR"/*; do
  case "$f" in *.txt) continue ;; esac
  [ -f "${f%.*}.txt" ] || { echo "no caption for $f" >&2; exit 2; }
  photos=$((photos + 1))
done
[ "$photos" -gt 0 ] || { echo "no photos in $LORASTUDIO_DATASET_DIR" >&2; exit 2; }
if [ -n "${FAKE_TRAINER_RUNS:-}" ]; then echo "run $(basename "$(dirname "$config")")" >> "$FAKE_TRAINER_RUNS"; fi
echo "fake trainer: $photos photos, config $config"
if [ -n "${FAKE_TRAINER_FAIL:-}" ]; then printf '%b\n' "$FAKE_TRAINER_FAIL" >&2; exit 1; fi
steps=${LORASTUDIO_STEPS:?}
ms=$(( ${FAKE_TRAINER_MS_PER_KSTEP:-0} * steps / 4000 ))
for q in 1 2 3 4; do
  sleep "$((ms / 1000)).$(printf %03d $((ms % 1000)))"
  echo "lora: $((q * 25))%| $((steps * q / 4))/$steps [00:0$q<00:00, 1.00it/s]"
done

# A safetensors file: u64 little-endian header length, JSON header padded
# with spaces to 8 bytes, then the tensors' bytes.
header='{"__metadata__":{"format":"pt","trainer":"fake-trainer.sh (test double)"},'
header+='"lora_unet_single_blocks_0_linear1.lora_down.weight":{"dtype":"F32","shape":[2,4],"data_offsets":[0,32]},'
header+='"lora_unet_single_blocks_0_linear1.lora_up.weight":{"dtype":"F32","shape":[4,2],"data_offsets":[32,64]}}'
while [ $(( ${#header} % 8 )) -ne 0 ]; do header+=' '; done
out="$LORASTUDIO_OUTPUT_DIR/lora.safetensors"
mkdir -p "$LORASTUDIO_OUTPUT_DIR"
{
  n=${#header}
  for _ in 1 2 3 4 5 6 7 8; do
    printf "\\$(printf '%03o' $((n & 255)))"
    n=$((n >> 8))
  done
  printf '%s' "$header"
  head -c 64 /dev/zero
} > "$out"
echo "saved $out"
