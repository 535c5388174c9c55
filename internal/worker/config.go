package worker

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Base model weights the configurations point at; edit the written file
// (or the trainer's own cache) for local copies.
var modelPaths = map[string]string{
	"flux-dev":     "black-forest-labs/FLUX.1-dev",
	"flux-schnell": "black-forest-labs/FLUX.1-schnell",
	"sdxl":         "stabilityai/stable-diffusion-xl-base-1.0",
}

// WriteConfig writes the trainer's configuration for d into dir and returns
// its path: an ai-toolkit job (config.yaml) for Flux, a kohya sd-scripts
// config file (config.toml, for sdxl_train_network.py --config_file) and its
// dataset config (dataset.toml) for SDXL. images holds NNN.ext photos with
// NNN.txt captions; the LoRA goes to out.
func WriteConfig(dir, images, out string, d Dispatch) (string, error) {
	p := d.Params
	q := strconv.Quote // JSON-style quoting is valid YAML and TOML for these strings
	var b strings.Builder
	switch d.BaseModel {
	case "flux-dev", "flux-schnell":
		fmt.Fprintf(&b, "job: extension\nconfig:\n  name: lora\n  process:\n    - type: sd_trainer\n")
		fmt.Fprintf(&b, "      training_folder: %s\n      device: cuda:0\n      trigger_word: %s\n", q(out), q(p.TriggerWord))
		fmt.Fprintf(&b, "      network:\n        type: lora\n        linear: %d\n        linear_alpha: %d\n", p.Rank, p.Rank)
		fmt.Fprintf(&b, "      save:\n        dtype: float16\n        save_every: %d\n        max_step_saves_to_keep: 1\n", p.Steps)
		fmt.Fprintf(&b, "      datasets:\n        - folder_path: %s\n          caption_ext: txt\n          caption_dropout_rate: 0.05\n          cache_latents_to_disk: true\n          resolution: [%d]\n", q(images), p.Resolution)
		fmt.Fprintf(&b, "      train:\n        batch_size: 1\n        steps: %d\n        gradient_accumulation_steps: 1\n        train_unet: true\n        train_text_encoder: false\n        gradient_checkpointing: true\n        noise_scheduler: flowmatch\n        optimizer: adamw8bit\n        lr: %g\n        dtype: bf16\n", p.Steps, p.LearningRate)
		fmt.Fprintf(&b, "      model:\n        name_or_path: %s\n        is_flux: true\n        quantize: true\n", q(modelPaths[d.BaseModel]))
		if d.BaseModel == "flux-schnell" {
			b.WriteString("        assistant_lora_path: \"ostris/FLUX.1-schnell-training-adapter\"\n")
		}
		b.WriteString("meta:\n  name: lora\n  version: \"1.0\"\n")
		path := filepath.Join(dir, "config.yaml")
		return path, os.WriteFile(path, []byte(b.String()), 0o600)
	case "sdxl":
		ds := filepath.Join(dir, "dataset.toml")
		dsText := fmt.Sprintf("[general]\ncaption_extension = \".txt\"\nshuffle_caption = false\n\n[[datasets]]\nresolution = %d\nbatch_size = 1\n\n  [[datasets.subsets]]\n  image_dir = %s\n  class_tokens = %s\n  num_repeats = 10\n",
			p.Resolution, q(images), q(p.TriggerWord))
		if err := os.WriteFile(ds, []byte(dsText), 0o600); err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "pretrained_model_name_or_path = %s\ndataset_config = %s\noutput_dir = %s\noutput_name = \"lora\"\nsave_model_as = \"safetensors\"\n", q(modelPaths["sdxl"]), q(ds), q(out))
		fmt.Fprintf(&b, "network_module = \"networks.lora\"\nnetwork_dim = %d\nnetwork_alpha = %d\nlearning_rate = %g\nunet_lr = %g\nmax_train_steps = %d\n", p.Rank, p.Rank, p.LearningRate, p.LearningRate, p.Steps)
		b.WriteString("optimizer_type = \"AdamW8bit\"\nmixed_precision = \"bf16\"\nsave_precision = \"fp16\"\ncache_latents = true\ngradient_checkpointing = true\nnetwork_train_unet_only = true\n")
		fmt.Fprintf(&b, "# trigger word: %s\n", p.TriggerWord)
		path := filepath.Join(dir, "config.toml")
		return path, os.WriteFile(path, []byte(b.String()), 0o600)
	}
	return "", fmt.Errorf("no trainer configuration for %q", d.BaseModel)
}
