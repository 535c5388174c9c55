package charpack

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/promptforge/lorastudio/internal/compiler"
)

// instructions writes instructions.md: the steps on that platform, its
// limits and its status as checked, stated plainly.
func instructions(p compiler.Profile, r compiler.Result, m Manifest, hasRequest bool) string {
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }

	line("# Character Pack: %s", p.Name)
	line("")
	line("Model: `%s` (%s). Identity: %s, version %s. Dataset: `%s`.", p.ModelID, p.Vendor, orDash(m.Identity.Name), orDash(m.Identity.Version), orDash(m.DatasetHash))
	line("")
	line("**Status: %s** (facts checked on %s). %s", strings.ReplaceAll(p.Status, "_", " "), p.Checked, p.StatusNote)
	if p.Status == compiler.StatusShutDown {
		line("")
		line("> As of that check this platform cannot be used: the steps below say how it worked, so the pack stays useful if it returns or for a similar tool. Check the sources before you rely on them.")
	} else if p.Status == compiler.StatusDeprecated {
		line("")
		line("> This platform, or the model id in this pack, is deprecated: it may stop answering at any time. Check the sources for its replacement.")
	}
	line("")
	line("%s does not train or load a LoRA. Your trained identity reaches it only through the words in `prompt.txt` and, where the platform allows, the reference photos in `references/`.", p.Name)
	if p.ID == "sora-2-pro-max" {
		line("")
		line("Sora 2 Pro Max is not a model OpenAI publishes: this pack is Sora 2 Pro (`sora-2-pro`) at its largest documented size and longest documented duration.")
	}

	line("")
	line("## In this pack")
	line("")
	line("- `prompt.txt`: the prompt, %d characters (limit %d).", r.PromptChars, r.PromptMaxChars)
	line("- `params.json`: %s, as %s takes them.", joinAndWords(paramWords(r.Params)), p.Name)
	if hasRequest {
		line("- `request.json`: an example body for `%s %s` (%s). Image data is left as placeholders.", p.API.Method, p.API.Endpoint, p.API.Name)
	} else if p.API != nil {
		line("- No `request.json`: the %s is shut down.", p.API.Name)
	}
	for _, ref := range m.References {
		tag := ""
		if ref.Tag != "" {
			tag = ", named " + ref.Tag + " in the prompt"
		}
		line("- `%s`: %s view, %dx%d%s. Re-encoded from your photo: no camera metadata, no location.", ref.Path, strings.ReplaceAll(ref.Role, "_", " "), ref.Width, ref.Height, tag)
	}
	line("- `manifest.json`: every file's sha256 and size; LoRA Studio refuses a pack whose files do not match it.")

	line("")
	line("## Steps")
	line("")
	for i, s := range steps(p, r, m, hasRequest) {
		line("%d. %s", i+1, s)
	}

	line("")
	line("## Limits")
	line("")
	par := r.Params
	line("- This pack: %s.", strings.Join(packLimits(par), ", "))
	if len(p.Sizes) > 0 {
		line("- Sizes: %s.", strings.Join(p.Sizes, ", "))
	}
	line("- Aspect ratios: %s. Resolutions: %s.", strings.Join(p.AspectRatios, ", "), orDash(strings.Join(p.Resolutions, ", ")))
	line("- Durations: %s seconds.", joinInts(p.DurationsS))
	rp := p.References
	line("- Reference images: up to %d (this pack: %d). %s", rp.Max, r.References.Count, rp.Note)
	if len(rp.DurationsS) > 0 {
		line("- With reference images: %s seconds.", joinInts(rp.DurationsS))
	}
	for _, res := range []string{"720p", "1080p", "4k"} {
		if ds, ok := p.ResolutionDurationsS[res]; ok {
			line("- At %s: %s seconds.", res, joinInts(ds))
		}
	}
	line("- Negative prompt: %s. Seed: %s. Audio: %s. Dialogue: %s.", yesNo(p.NegativePrompt), yesNo(p.Seed), yesNo(p.Audio), dialogueWords(p.Dialogue))
	line("- Prompt length: at most %d characters. %s", p.PromptMaxChars, p.PromptMaxSource)

	if len(r.Warnings) > 0 {
		line("")
		line("## Warnings from the compiler")
		line("")
		for _, w := range r.Warnings {
			line("- %s", w)
		}
	}
	line("")
	line("## What was checked, and what was not (%s)", p.Checked)
	line("")
	for _, n := range p.Notes {
		line("- %s", n)
	}
	line("")
	line("Sources:")
	line("")
	for _, s := range p.Sources {
		line("- %s", s)
	}
	return b.String()
}

// steps are the platform's instructions, by the way it binds references.
func steps(p compiler.Profile, r compiler.Result, m Manifest, hasRequest bool) []string {
	refList := make([]string, len(m.References))
	for i, ref := range m.References {
		refList[i] = "`" + ref.Path + "`"
	}
	refs := strings.Join(refList, ", ")
	par := r.Params
	var s []string
	switch p.References.Binding {
	case compiler.BindingCameo:
		s = append(s,
			"Set up your own cameo in the Sora app. A cameo is Sora's consent-verified way to use a real person's likeness: you record yourself in the app and it checks that it is you, and you choose who may use it. LoRA Studio cannot do this for you and uploads nothing.",
			fmt.Sprintf("Keep %s beside you while recording: it is your sharpest %s photo, to compare framing and light. Do not upload it as `input_reference`: OpenAI's guide says input images with human faces are rejected, and an `input_reference` becomes the first frame and must match the video size exactly.", refs, roleWords(m)),
			"Paste `prompt.txt` into Sora. If it says `@your_cameo`, replace that with your cameo's @handle.",
			fmt.Sprintf("Choose %s and %d seconds (model `%s`).", par.Size, par.DurationS, par.Model),
		)
		if hasRequest {
			s = append(s, "API users: `request.json` is a text-only request body; the API cannot use a cameo or a photo of a face.")
		}
	case compiler.BindingIngredients:
		s = append(s,
			fmt.Sprintf("Use %s as reference images of type `%s` (the \"ingredients\"): all show the same person, you. Veo keeps that person's appearance.", refs, p.References.Role),
			fmt.Sprintf("Paste `prompt.txt` as the prompt; it names the person as \"the person shown in the reference images\". Dialogue is written inline in quotes, so Veo voices it."),
			fmt.Sprintf("Set %s %s, %d seconds (reference images need 8)%s.", par.AspectRatio, par.Resolution, par.DurationS, fromParams(par)),
		)
		if hasRequest {
			s = append(s, fmt.Sprintf("API users: in `request.json`, replace each `<base64 of …>` with the base64 of that file and put your project and region in the endpoint `%s`; it starts a long-running operation that you poll until the video is ready.", p.API.Endpoint))
		}
	case compiler.BindingImageTags:
		order := make([]string, len(m.References))
		for i, ref := range m.References {
			order[i] = ref.Tag + " = `" + ref.Path + "`"
		}
		s = append(s,
			fmt.Sprintf("Attach the reference images in this order, which is how the prompt names them: %s.", strings.Join(order, ", ")),
			"Paste `prompt.txt` as the prompt: it binds the person to those tags. Keep the tags as they are.",
			fmt.Sprintf("Choose %s at %s, %d seconds (with reference images at most 10).", par.AspectRatio, par.Resolution, par.DurationS),
		)
		if hasRequest {
			s = append(s, fmt.Sprintf("API users: in `request.json`, replace each placeholder with a public HTTPS URL or a `data:image/jpeg;base64,…` URI of that file, send it to `%s`, and poll the returned request id until the video is done.", p.API.Endpoint))
		}
	}
	if u := p.References.Unconfirmed; u != "" {
		s = append([]string{"Not confirmed: " + u}, s...)
	}
	return append(s, "Only use this pack for videos of yourself. The platform's own rules on real people apply on top of these steps.")
}

// roleWords names the first reference's view, in words.
func roleWords(m Manifest) string {
	if len(m.References) == 0 || m.References[0].Role == "extra" {
		return "reference"
	}
	return strings.ReplaceAll(m.References[0].Role, "_", " ")
}

// paramWords names the settings params.json holds, and only those: a
// seed or negative prompt appears only when the compile kept one.
func paramWords(par compiler.Params) []string {
	var out []string
	add := func(ok bool, w string) {
		if ok {
			out = append(out, w)
		}
	}
	add(par.DurationS > 0, "duration")
	add(par.Size != "", "size")
	add(par.AspectRatio != "", "aspect ratio")
	add(par.Resolution != "", "resolution")
	add(par.NegativePrompt != "", "negative prompt")
	add(par.Seed != nil, "seed")
	out = append(out, "audio")
	return out
}

// packLimits is what this pack was compiled for, without blanks for the
// settings a platform does not have (Grok takes no size).
func packLimits(par compiler.Params) []string {
	var out []string
	if par.Size != "" {
		out = append(out, par.Size)
	}
	if ar := strings.TrimSpace(par.AspectRatio + " " + par.Resolution); ar != "" {
		out = append(out, ar)
	}
	if par.DurationS > 0 {
		out = append(out, fmt.Sprintf("%d s", par.DurationS))
	}
	return append(out, "audio "+yesNo(par.Audio))
}

// fromParams tells the user to copy the negative prompt and seed only when
// params.json holds them.
func fromParams(par compiler.Params) string {
	var ws []string
	if par.NegativePrompt != "" {
		ws = append(ws, "the negative prompt")
	}
	if par.Seed != nil {
		ws = append(ws, "the seed")
	}
	if len(ws) == 0 {
		return ""
	}
	return ", with " + joinAndWords(ws) + " from `params.json`"
}

func joinAndWords(ws []string) string {
	switch len(ws) {
	case 0:
		return ""
	case 1:
		return ws[0]
	}
	return strings.Join(ws[:len(ws)-1], ", ") + " and " + ws[len(ws)-1]
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func dialogueWords(d string) string {
	switch d {
	case compiler.DialogueInline:
		return "inline, in quotes"
	case compiler.DialogueBlock:
		return "a Dialogue section"
	}
	return "no"
}

func joinInts(ds []int) string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = strconv.Itoa(d)
	}
	return strings.Join(out, ", ")
}

// loraInstructions writes instructions.md of a LoRA-pipeline pack: where
// to copy the LoRA in each UI, and how to use the prompt and workflow.
func loraInstructions(p compiler.Profile, r compiler.Result, m Manifest, name string) string {
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	stem := strings.TrimSuffix(name, ".safetensors")
	l := p.LoRA

	line("# LoRA pack: %s", p.Name)
	line("")
	line("Base model: %s (%s). Identity: %s, version %s. Dataset: `%s`.", p.Name, p.Vendor, orDash(m.Identity.Name), orDash(m.Identity.Version), orDash(m.DatasetHash))
	line("")
	line("This pack holds your trained LoRA, `%s`, and what loads it: a ComfyUI workflow and a prompt for Forge or AUTOMATIC1111. It only works with %s; another base model cannot load it.", name, p.Name)
	line("")
	line("## In this pack")
	line("")
	line("- `loras/%s`: the LoRA. Copy it as it is: the workflow and the prompt load it by this exact name.", name)
	line("- `comfyui/workflow_api.json`: a ComfyUI workflow in API format whose LoraLoader loads `%s` at strength %.2f.", name, r.Params.LoRAWeight)
	line("- `prompt.txt`: the prompt for Forge or AUTOMATIC1111, ending in `%s`.", r.LoRABlock)
	line("- `params.json`: %s.", joinAndWords(append(paramWords(r.Params), "LoRA weight")))
	line("- `manifest.json`: every file's sha256 and size. Run `lorastudio verify` on the zip to check them.")
	line("")
	if t := m.LoRA.Trigger; t != "" {
		line("The prompt names you as `%s`, the words your training captions used: keep them, they bring out the identity.", t)
	} else {
		line("No trigger words were known for this LoRA: add the ones your training captions used to the prompt.")
	}
	line("")
	line("## ComfyUI")
	line("")
	line("1. Copy `loras/%s` into `ComfyUI/models/loras/`.", name)
	if l.Checkpoint != "" {
		line("2. The workflow expects the checkpoint `%s` in `ComfyUI/models/checkpoints/`; rename it in the Load Checkpoint node if yours differs.", l.Checkpoint)
	} else {
		line("2. The workflow expects `%s` in `ComfyUI/models/unet/` (or `diffusion_models/`), `%s` in `ComfyUI/models/clip/` (or `text_encoders/`) and `%s` in `ComfyUI/models/vae/`; rename them in their loader nodes if yours differ.", l.UNet, strings.Join(l.CLIP, "` and `"), l.VAE)
	}
	line("3. Restart ComfyUI, or press R in it, so it sees the new file.")
	line("4. Drag `comfyui/workflow_api.json` onto the ComfyUI window, then press Queue. Scripts can send it as the `prompt` of a POST to ComfyUI's `/prompt`.")
	line("")
	line("## Forge or AUTOMATIC1111")
	line("")
	line("1. Copy `loras/%s` into `models/Lora/` of your `stable-diffusion-webui` (or `stable-diffusion-webui-forge`) folder.", name)
	line("2. In the Lora tab, press the refresh button; the LoRA is listed as `%s`.", stem)
	line("3. Paste `prompt.txt` as the prompt: `%s` loads the LoRA at that weight. Choose %s as the checkpoint.", r.LoRABlock, p.Name)
	line("")
	line("## SwarmUI")
	line("")
	line("1. Copy `loras/%s` into `SwarmUI/Models/Lora/`.", name)
	line("2. In the Generate tab, open LoRAs, refresh, and choose `%s` (or keep the `%s` block of `prompt.txt` in the prompt).", stem, r.LoRABlock)
	line("")
	line("## InvokeAI")
	line("")
	line("1. Open the Model Manager, choose Add Model, and give the full path of `loras/%s` once you have unzipped the pack (InvokeAI copies it into its own models folder).", name)
	line("2. In the generation panel's LoRA list, add `%s` and set its weight to %.2f. InvokeAI does not read `<lora:…>` blocks: remove that block from the prompt you paste.", stem, r.Params.LoRAWeight)
	line("")
	line("## Weight")
	line("")
	line("%.2f here; %s takes %.2f to %.2f. Lower it if the face looks stiff or overcooked, raise it if it does not look like you.", r.Params.LoRAWeight, p.Name, l.WeightMin, l.WeightMax)
	if len(r.Warnings) > 0 {
		line("")
		line("## Warnings from the compiler")
		line("")
		for _, w := range r.Warnings {
			line("- %s", w)
		}
	}
	line("")
	line("## What was checked, and what was not (%s)", p.Checked)
	line("")
	for _, n := range p.Notes {
		line("- %s", n)
	}
	line("- The SwarmUI and InvokeAI steps follow those programs' usual layout; their documentation was not re-read for this pack.")
	return b.String()
}
