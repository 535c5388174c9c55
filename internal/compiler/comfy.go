package compiler

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// node is one node of a ComfyUI API-format workflow ("Save (API)"): inputs
// are literals or [node id, output index] links.
type node struct {
	ClassType string         `json:"class_type"`
	Inputs    map[string]any `json:"inputs"`
	Meta      map[string]any `json:"_meta"`
}

func link(id string, out int) []any { return []any{id, out} }

// comfyWorkflow builds the reference workflow of a LoRA pipeline with its
// LoRA loaded at the given strength: text-to-image for the image models,
// text-to-video for Wan 2.2. prompt is the compiled prompt without the
// <lora:…> block, which ComfyUI does not parse.
func comfyWorkflow(p Profile, lora string, weight float64, prompt string, params Params) (json.RawMessage, error) {
	l := p.LoRA
	seed := int64(0) // ComfyUI needs a literal; 0 keeps the file reproducible
	if params.Seed != nil {
		seed = *params.Seed
	}
	wf := map[string]node{}
	add := func(id, class, title string, in map[string]any) {
		wf[id] = node{ClassType: class, Inputs: in, Meta: map[string]any{"title": title}}
	}
	loraFile := lora + ".safetensors"
	save := func(images []any) {
		add("11", "SaveImage", "Save Image", map[string]any{"images": images, "filename_prefix": "lorastudio/" + lora})
	}
	switch l.Workflow {
	case "sdxl", "flux":
		var model, clip, vae []any
		if l.Workflow == "sdxl" {
			add("1", "CheckpointLoaderSimple", "Load Checkpoint", map[string]any{"ckpt_name": l.Checkpoint})
			model, clip, vae = link("1", 0), link("1", 1), link("1", 2)
		} else {
			add("1", "UNETLoader", "Load Diffusion Model", map[string]any{"unet_name": l.UNet, "weight_dtype": "default"})
			add("2", "DualCLIPLoader", "DualCLIPLoader", map[string]any{"clip_name1": l.CLIP[0], "clip_name2": l.CLIP[1], "type": "flux"})
			add("3", "VAELoader", "Load VAE", map[string]any{"vae_name": l.VAE})
			model, clip, vae = link("1", 0), link("2", 0), link("3", 0)
		}
		add("4", "LoraLoader", "Load LoRA", map[string]any{
			"model": model, "clip": clip, "lora_name": loraFile,
			"strength_model": weight, "strength_clip": weight,
		})
		add("5", "CLIPTextEncode", "Positive prompt", map[string]any{"text": prompt, "clip": link("4", 1)})
		add("7", "CLIPTextEncode", "Negative prompt", map[string]any{"text": params.NegativePrompt, "clip": link("4", 1)})
		positive := link("5", 0)
		latent := "EmptyLatentImage"
		if l.Workflow == "flux" {
			latent = "EmptySD3LatentImage"
			if l.Guidance > 0 {
				add("6", "FluxGuidance", "FluxGuidance", map[string]any{"conditioning": link("5", 0), "guidance": l.Guidance})
				positive = link("6", 0)
			}
		}
		add("8", latent, "Empty Latent Image", map[string]any{"width": params.Width, "height": params.Height, "batch_size": 1})
		add("9", "KSampler", "KSampler", map[string]any{
			"model": link("4", 0), "seed": seed, "steps": l.Steps, "cfg": l.CFG,
			"sampler_name": l.Sampler, "scheduler": l.Scheduler, "denoise": 1.0,
			"positive": positive, "negative": link("7", 0), "latent_image": link("8", 0),
		})
		add("10", "VAEDecode", "VAE Decode", map[string]any{"samples": link("9", 0), "vae": vae})
		save(link("10", 0))
	case "flux2":
		// FLUX.2's own scheduler (Flux2Scheduler, resolution-dependent
		// sigmas) through SamplerCustomAdvanced. The LoRA is trained on the
		// transformer only (its text encoder is an LLM), so
		// LoraLoaderModelOnly. A guidance-distilled model (dev) takes
		// FluxGuidance and no negative prompt; an undistilled one (klein
		// base) real CFG with a negative prompt.
		loaders(add, l)
		add("4", "LoraLoaderModelOnly", "Load LoRA", map[string]any{"model": link("1", 0), "lora_name": loraFile, "strength_model": weight})
		add("5", "CLIPTextEncode", "Positive prompt", map[string]any{"text": prompt, "clip": link("2", 0)})
		if l.Guidance > 0 {
			add("6", "FluxGuidance", "FluxGuidance", map[string]any{"conditioning": link("5", 0), "guidance": l.Guidance})
			add("12", "BasicGuider", "BasicGuider", map[string]any{"model": link("4", 0), "conditioning": link("6", 0)})
		} else {
			add("7", "CLIPTextEncode", "Negative prompt", map[string]any{"text": params.NegativePrompt, "clip": link("2", 0)})
			add("12", "CFGGuider", "CFGGuider", map[string]any{"model": link("4", 0), "positive": link("5", 0), "negative": link("7", 0), "cfg": l.CFG})
		}
		add("8", "EmptyFlux2LatentImage", "Empty Flux 2 Latent", map[string]any{"width": params.Width, "height": params.Height, "batch_size": 1})
		add("13", "Flux2Scheduler", "Flux2Scheduler", map[string]any{"steps": l.Steps, "width": params.Width, "height": params.Height})
		add("14", "KSamplerSelect", "KSamplerSelect", map[string]any{"sampler_name": l.Sampler})
		add("15", "RandomNoise", "RandomNoise", map[string]any{"noise_seed": seed})
		add("9", "SamplerCustomAdvanced", "SamplerCustomAdvanced", map[string]any{
			"noise": link("15", 0), "guider": link("12", 0), "sampler": link("14", 0),
			"sigmas": link("13", 0), "latent_image": link("8", 0),
		})
		add("10", "VAEDecode", "VAE Decode", map[string]any{"samples": link("9", 0), "vae": link("3", 0)})
		save(link("10", 0))
	case "qwen_image", "z_image":
		// One text encoder, the LoRA on the transformer only, the
		// model's flow shift through ModelSamplingAuraFlow, then KSampler.
		loaders(add, l)
		add("4", "LoraLoaderModelOnly", "Load LoRA", map[string]any{"model": link("1", 0), "lora_name": loraFile, "strength_model": weight})
		add("6", "ModelSamplingAuraFlow", "ModelSamplingAuraFlow", map[string]any{"model": link("4", 0), "shift": l.Shift})
		add("5", "CLIPTextEncode", "Positive prompt", map[string]any{"text": prompt, "clip": link("2", 0)})
		add("7", "CLIPTextEncode", "Negative prompt", map[string]any{"text": params.NegativePrompt, "clip": link("2", 0)})
		add("8", "EmptySD3LatentImage", "Empty Latent Image", map[string]any{"width": params.Width, "height": params.Height, "batch_size": 1})
		add("9", "KSampler", "KSampler", map[string]any{
			"model": link("6", 0), "seed": seed, "steps": l.Steps, "cfg": l.CFG,
			"sampler_name": l.Sampler, "scheduler": l.Scheduler, "denoise": 1.0,
			"positive": link("5", 0), "negative": link("7", 0), "latent_image": link("8", 0),
		})
		add("10", "VAEDecode", "VAE Decode", map[string]any{"samples": link("9", 0), "vae": link("3", 0)})
		save(link("10", 0))
	case "wan22":
		// Wan 2.2 A14B text-to-video: the high-noise expert denoises the
		// first half of the steps, the low-noise expert the rest
		// (two KSamplerAdvanced). The LoRA was trained on the low-noise
		// expert only, so it loads there.
		loaders(add, l)
		add("16", "UNETLoader", "Load Diffusion Model (low noise)", map[string]any{"unet_name": l.UNetLowNoise, "weight_dtype": "default"})
		add("4", "LoraLoaderModelOnly", "Load LoRA (low noise)", map[string]any{"model": link("16", 0), "lora_name": loraFile, "strength_model": weight})
		add("6", "ModelSamplingSD3", "ModelSamplingSD3 (high noise)", map[string]any{"model": link("1", 0), "shift": l.Shift})
		add("17", "ModelSamplingSD3", "ModelSamplingSD3 (low noise)", map[string]any{"model": link("4", 0), "shift": l.Shift})
		add("5", "CLIPTextEncode", "Positive prompt", map[string]any{"text": prompt, "clip": link("2", 0)})
		add("7", "CLIPTextEncode", "Negative prompt", map[string]any{"text": params.NegativePrompt, "clip": link("2", 0)})
		frames := params.DurationS*l.FPS + 1 // Wan takes 4n+1 frames
		frames = (frames-1)/4*4 + 1
		add("8", "EmptyHunyuanLatentVideo", "Empty Latent Video", map[string]any{"width": params.Width, "height": params.Height, "length": frames, "batch_size": 1})
		half := l.Steps / 2
		sampler := func(id, title string, model []any, latent []any, addNoise string, start, end int, leftover string) {
			add(id, "KSamplerAdvanced", title, map[string]any{
				"model": model, "add_noise": addNoise, "noise_seed": seed, "steps": l.Steps, "cfg": l.CFG,
				"sampler_name": l.Sampler, "scheduler": l.Scheduler,
				"positive": link("5", 0), "negative": link("7", 0), "latent_image": latent,
				"start_at_step": start, "end_at_step": end, "return_with_leftover_noise": leftover,
			})
		}
		sampler("9", "KSamplerAdvanced (high noise)", link("6", 0), link("8", 0), "enable", 0, half, "enable")
		sampler("18", "KSamplerAdvanced (low noise)", link("17", 0), link("9", 0), "disable", half, l.Steps, "disable")
		add("10", "VAEDecode", "VAE Decode", map[string]any{"samples": link("18", 0), "vae": link("3", 0)})
		add("19", "CreateVideo", "Create Video", map[string]any{"images": link("10", 0), "fps": l.FPS})
		add("11", "SaveVideo", "Save Video", map[string]any{"video": link("19", 0), "filename_prefix": "lorastudio/" + lora, "format": "auto", "codec": "auto"})
	default:
		return nil, fmt.Errorf("profile %s: unknown workflow %q", p.ID, l.Workflow)
	}
	// encoding/json sorts map keys, so the same inputs give the same bytes.
	return marshalIndent(wf)
}

// loaders adds nodes 1 (the diffusion model), 2 (one text encoder of
// l.CLIPType) and 3 (the VAE).
func loaders(add func(id, class, title string, in map[string]any), l *LoRASpec) {
	add("1", "UNETLoader", "Load Diffusion Model", map[string]any{"unet_name": l.UNet, "weight_dtype": "default"})
	add("2", "CLIPLoader", "Load CLIP", map[string]any{"clip_name": l.CLIP[0], "type": l.CLIPType, "device": "default"})
	add("3", "VAELoader", "Load VAE", map[string]any{"vae_name": l.VAE})
}

// marshalIndent is json.MarshalIndent without HTML escaping: prompts hold
// <IMAGE_1> and <lora:…>, which must stay readable.
func marshalIndent(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}
