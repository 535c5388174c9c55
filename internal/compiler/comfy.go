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

// comfyWorkflow builds the reference text-to-image workflow of a LoRA
// pipeline with a LoraLoader at the given strength. prompt is the compiled
// prompt without the <lora:…> block, which ComfyUI does not parse.
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
	var model, clip, vae []any
	switch l.Workflow {
	case "sdxl":
		add("1", "CheckpointLoaderSimple", "Load Checkpoint", map[string]any{"ckpt_name": l.Checkpoint})
		model, clip, vae = link("1", 0), link("1", 1), link("1", 2)
	case "flux":
		if len(l.CLIP) != 2 {
			return nil, fmt.Errorf("profile %s: the flux workflow needs two text encoders", p.ID)
		}
		add("1", "UNETLoader", "Load Diffusion Model", map[string]any{"unet_name": l.UNet, "weight_dtype": "default"})
		add("2", "DualCLIPLoader", "DualCLIPLoader", map[string]any{"clip_name1": l.CLIP[0], "clip_name2": l.CLIP[1], "type": "flux"})
		add("3", "VAELoader", "Load VAE", map[string]any{"vae_name": l.VAE})
		model, clip, vae = link("1", 0), link("2", 0), link("3", 0)
	default:
		return nil, fmt.Errorf("profile %s: unknown workflow %q", p.ID, l.Workflow)
	}
	add("4", "LoraLoader", "Load LoRA", map[string]any{
		"model": model, "clip": clip, "lora_name": lora + ".safetensors",
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
	add("11", "SaveImage", "Save Image", map[string]any{"images": link("10", 0), "filename_prefix": "lorastudio/" + lora})
	// encoding/json sorts map keys, so the same inputs give the same bytes.
	return marshalIndent(wf)
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
