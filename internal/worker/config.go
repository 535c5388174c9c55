package worker

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/promptforge/lorastudio/internal/studio"
)

// The name both trainers give the LoRA files (ai-toolkit's config.name,
// sd-scripts' output_name); layoutOf finds them by it.
const outputName = "lora"

// Sample rendering: a fixed seed (walked per prompt) so that the samples of
// successive checkpoints differ by the training only.
const (
	sampleSeed       = 42
	sdxlSampleSteps  = 28
	sdxlSampleScale  = 7
	sdxlSampleSolver = "euler_a"
)

// WriteConfig writes the trainer's configuration for d into dir and returns
// its path: an ai-toolkit job (config.yaml) for the models ai-toolkit
// trains (Flux, FLUX.2, Qwen-Image, Z-Image, Wan 2.2), a kohya sd-scripts
// config file (config.toml, for sdxl_train_network.py --config_file) with
// its dataset config (dataset.toml) and sample prompts (prompts.txt) for
// SDXL. images holds NNN.ext photos with NNN.txt captions; the LoRA goes
// to out (see layoutOf for where each trainer puts what).
func WriteConfig(dir, images, out string, d Dispatch) (string, error) {
	m, err := studio.LookupBaseModel(d.BaseModel)
	if err != nil {
		return "", err
	}
	switch familyOf[d.BaseModel] {
	case FamilyFlux:
		path := filepath.Join(dir, "config.yaml")
		return path, os.WriteFile(path, []byte(aiToolkitConfig(images, out, m, d)), 0o600)
	case FamilySDXL:
		files := sdScriptsConfig(dir, images, out, m, d)
		for _, f := range files {
			if err := os.WriteFile(filepath.Join(dir, f.name), []byte(f.text), 0o600); err != nil {
				return "", err
			}
		}
		return filepath.Join(dir, files[0].name), nil
	}
	return "", fmt.Errorf("no trainer configuration for %q", d.BaseModel)
}

// saveEvery is the checkpoint interval: Sampling.Every, or the whole run
// when no samples are asked for (the final save only).
func saveEvery(d Dispatch) int {
	if d.Sampling != nil && d.Sampling.Every > 0 {
		return d.Sampling.Every
	}
	return d.Params.Steps
}

// aiToolkitConfig is ostris/ai-toolkit's job file for m, shaped after its
// config/examples (train_lora_flux_24gb.yaml, train_lora_qwen_image_24gb.yaml,
// train_lora_wan22_14b_24gb.yaml) and the UI's per-model defaults
// (ui/src/app/jobs/new/options.tsx); the keys are those of
// toolkit/config_modules.py (ModelConfig, SaveConfig, SampleConfig,
// TrainConfig). The model-specific values come from m's data.
func aiToolkitConfig(images, out string, m studio.BaseModel, d Dispatch) string {
	p, a := d.Params, m.AIToolkit
	q := strconv.Quote // JSON-style quoting is valid YAML for these strings
	var b strings.Builder
	fmt.Fprintf(&b, "job: extension\nconfig:\n  name: %s\n  process:\n    - type: sd_trainer\n", outputName)
	fmt.Fprintf(&b, "      training_folder: %s\n      device: cuda:0\n      trigger_word: %s\n", q(out), q(p.TriggerWord))
	fmt.Fprintf(&b, "      network:\n        type: lora\n        linear: %d\n        linear_alpha: %d\n", p.Rank, p.Rank)
	// ai-toolkit deletes all but the newest max_step_saves_to_keep
	// intermediate files: keep one per slot so none goes before its upload.
	keep := 1
	if d.Sampling != nil {
		keep = max(keep, len(d.Sampling.Slots))
	}
	fmt.Fprintf(&b, "      save:\n        dtype: float16\n        save_every: %d\n        max_step_saves_to_keep: %d\n", saveEvery(d), keep)
	fmt.Fprintf(&b, "      datasets:\n        - folder_path: %s\n          caption_ext: txt\n          caption_dropout_rate: 0.05\n          cache_latents_to_disk: true\n          resolution: [%d]\n", q(images), p.Resolution)
	if m.Kind == studio.KindVideo {
		b.WriteString("          num_frames: 1\n") // photos: an identity, not a motion
	}
	fmt.Fprintf(&b, "      train:\n        batch_size: 1\n        steps: %d\n        gradient_accumulation_steps: 1\n        train_unet: true\n        train_text_encoder: false\n        gradient_checkpointing: true\n        noise_scheduler: flowmatch\n        optimizer: adamw8bit\n        lr: %g\n        dtype: bf16\n", p.Steps, p.LearningRate)
	if a.TimestepType != "" {
		fmt.Fprintf(&b, "        timestep_type: %s\n", a.TimestepType)
	}
	if a.CacheTextEmbeddings {
		b.WriteString("        cache_text_embeddings: true\n")
	}
	if d.Sampling == nil {
		// Without a sample block ai-toolkit still stops every 100 steps
		// (SampleConfig's default sample_every) to render no prompts.
		b.WriteString("        disable_sampling: true\n")
	} else {
		b.WriteString("        skip_first_sample: true\n") // step 0 has no slot
	}
	fmt.Fprintf(&b, "      model:\n        name_or_path: %s\n", q(a.NameOrPath))
	if a.IsFlux {
		b.WriteString("        is_flux: true\n")
	} else {
		fmt.Fprintf(&b, "        arch: %s\n", q(a.Arch))
	}
	fmt.Fprintf(&b, "        quantize: %t\n", a.Quantize)
	if a.QType != "" {
		fmt.Fprintf(&b, "        qtype: %s\n", q(a.QType))
	}
	if a.QuantizeTE {
		b.WriteString("        quantize_te: true\n")
	}
	if a.QTypeTE != "" {
		fmt.Fprintf(&b, "        qtype_te: %s\n", q(a.QTypeTE))
	}
	if a.LowVRAM {
		b.WriteString("        low_vram: true\n")
	}
	if a.AssistantLoRAPath != "" {
		fmt.Fprintf(&b, "        assistant_lora_path: %s\n", q(a.AssistantLoRAPath))
	}
	if len(a.ModelKwargs) > 0 {
		b.WriteString("        model_kwargs:\n")
		keys := slices.Sorted(maps.Keys(a.ModelKwargs))
		for _, k := range keys {
			v, _ := json.Marshal(a.ModelKwargs[k]) // JSON scalars are YAML scalars
			fmt.Fprintf(&b, "          %s: %s\n", k, v)
		}
	}
	if s := d.Sampling; s != nil {
		fmt.Fprintf(&b, "      sample:\n        sampler: flowmatch\n        sample_every: %d\n        width: %d\n        height: %d\n", s.Every, p.Resolution, p.Resolution)
		if m.Kind == studio.KindVideo {
			fmt.Fprintf(&b, "        num_frames: %d\n        fps: %d\n", a.Sample.Frames, a.Sample.FPS)
		}
		b.WriteString("        format: png\n        prompts:\n")
		for _, pr := range s.Prompts {
			fmt.Fprintf(&b, "          - %s\n", q(oneLine(pr)))
		}
		fmt.Fprintf(&b, "        neg: \"\"\n        seed: %d\n        walk_seed: true\n        guidance_scale: %g\n        sample_steps: %d\n", sampleSeed, a.Sample.Guidance, a.Sample.Steps)
	}
	fmt.Fprintf(&b, "meta:\n  name: %s\n  version: \"1.0\"\n", outputName)
	return b.String()
}

type configFile struct{ name, text string }

// sdScriptsConfig is kohya-ss/sd-scripts' --config_file (any argument of
// train_network.py / library/train_util.py, first), its dataset config
// (library/config_util.py's schema) and, with sampling, its prompt file.
func sdScriptsConfig(dir, images, out string, m studio.BaseModel, d Dispatch) []configFile {
	p := d.Params
	q := strconv.Quote // JSON-style quoting is valid TOML for these strings
	ds := filepath.Join(dir, "dataset.toml")
	// Bucketing keeps a portrait a portrait: without it every photo is
	// centre-cropped to a square. Buckets range from half to twice the
	// training resolution in steps of 64.
	dataset := fmt.Sprintf("[general]\ncaption_extension = \".txt\"\nshuffle_caption = false\nenable_bucket = true\nmin_bucket_reso = %d\nmax_bucket_reso = %d\nbucket_reso_steps = 64\n\n[[datasets]]\nresolution = %d\nbatch_size = 1\n\n  [[datasets.subsets]]\n  image_dir = %s\n  class_tokens = %s\n  num_repeats = 10\n",
		max(256, p.Resolution/2/64*64), p.Resolution*2, p.Resolution, q(images), q(p.TriggerWord))
	var b strings.Builder
	fmt.Fprintf(&b, "pretrained_model_name_or_path = %s\ndataset_config = %s\noutput_dir = %s\noutput_name = %s\nsave_model_as = \"safetensors\"\n", q(m.SDScripts.NameOrPath), q(ds), q(out), q(outputName))
	fmt.Fprintf(&b, "network_module = \"networks.lora\"\nnetwork_dim = %d\nnetwork_alpha = %d\nlearning_rate = %g\nunet_lr = %g\nmax_train_steps = %d\n", p.Rank, p.Rank, p.LearningRate, p.LearningRate, p.Steps)
	b.WriteString("optimizer_type = \"AdamW8bit\"\nmixed_precision = \"bf16\"\nsave_precision = \"fp16\"\ncache_latents = true\ngradient_checkpointing = true\nnetwork_train_unet_only = true\n")
	files := []configFile{{name: "config.toml"}, {name: "dataset.toml", text: dataset}}
	if s := d.Sampling; s != nil {
		// A checkpoint (lora-stepNNNNNNNN.safetensors) and the samples
		// (sample/lora_NNNNNN_II_<time>_<seed>.png) every s.Every steps.
		prompts := filepath.Join(dir, "prompts.txt")
		fmt.Fprintf(&b, "save_every_n_steps = %d\nsample_every_n_steps = %d\nsample_prompts = %s\nsample_sampler = %s\n", s.Every, s.Every, q(prompts), q(sdxlSampleSolver))
		var pt strings.Builder
		for i, pr := range s.Prompts {
			// One line each, options after " --" (line_to_prompt_dict).
			fmt.Fprintf(&pt, "%s --w %d --h %d --d %d --s %d --l %d\n", promptText(pr), p.Resolution, p.Resolution, sampleSeed+i, sdxlSampleSteps, sdxlSampleScale)
		}
		files = append(files, configFile{name: "prompts.txt", text: pt.String()})
	}
	fmt.Fprintf(&b, "# trigger word: %s\n", p.TriggerWord)
	files[0].text = b.String()
	return files
}

// oneLine folds a prompt's line breaks into spaces.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// promptText makes a prompt safe as one line of sd-scripts' prompt file:
// one line, no " --" (which starts an option), no leading "#" (a comment,
// which would shift every later prompt's index).
func promptText(s string) string {
	s = strings.ReplaceAll(oneLine(s), " --", " -")
	return strings.TrimLeft(s, "# ")
}
