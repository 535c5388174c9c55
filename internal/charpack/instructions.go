package charpack

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/promptforge/lorastudio/internal/compiler"
)

// instructions writes instructions.md: the steps on that platform, its
// limits and its status as checked, stated plainly.
func instructions(p compiler.Profile, r compiler.Result, m Manifest, hasRequest, hasScript bool) string {
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
	if hasScript {
		line("- `%s`: submits this pack to the %s, waits for the video and saves it (see By API).", ScriptName, p.API.Name)
	}
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
		line("- `%s`: %s view, %dx%d%s, cropped to head and shoulders where the face was found. Re-encoded from your photo: no camera metadata, no location.", ref.Path, strings.ReplaceAll(ref.Role, "_", " "), ref.Width, ref.Height, tag)
	}
	if len(m.MissingViews) > 0 {
		line("- Missing: no %s view among your usable photos. The platform keeps a likeness better from several angles: add a sharp photo from that angle, validate again and export a new pack.", joinOrWords(m.MissingViews))
	}
	line("- `manifest.json`: every file's sha256 and size; LoRA Studio refuses a pack whose files do not match it.")

	line("")
	line("## In the app")
	line("")
	line("In %s (%s), for anyone, no programming needed.", p.App.Name, p.App.URL)
	line("")
	for i, s := range appSteps(p, r, m) {
		line("%d. %s", i+1, s)
	}
	line("")
	line("## By API")
	line("")
	for _, s := range apiSteps(p, r, hasRequest, hasScript) {
		line("%s", s)
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

// appSteps are the platform's steps in its own product, from its
// profile, with this pack's files and settings filled in.
func appSteps(p compiler.Profile, r compiler.Result, m Manifest) []string {
	refList := make([]string, len(m.References))
	order := make([]string, len(m.References))
	for i, ref := range m.References {
		refList[i] = "`" + ref.Path + "`"
		order[i] = ref.Tag + " = `" + ref.Path + "`"
	}
	par := r.Params
	fill := strings.NewReplacer(
		"{url}", p.App.URL, "{references}", joinAndWords(refList), "{order}", strings.Join(order, ", "),
		"{role}", roleWords(m), "{size}", par.Size, "{aspect}", par.AspectRatio, "{resolution}", par.Resolution,
		"{duration}", fmt.Sprint(par.DurationS), "{model}", par.Model,
		"{settings}", strings.Join(packLimits(par)[:len(packLimits(par))-1], ", "),
	)
	var s []string
	if u := p.References.Unconfirmed; u != "" {
		s = append(s, "Not confirmed: "+u)
	}
	if u := p.App.Unconfirmed; u != "" {
		s = append(s, "Not confirmed: "+u)
	}
	for _, step := range p.App.Steps {
		s = append(s, fill.Replace(step))
	}
	if f := fromParams(par); f != "" {
		s = append(s, fmt.Sprintf("If the screen shows fields for them, set %s.", strings.TrimPrefix(f, ", with ")))
	}
	return append(s, "Only use this pack for videos of yourself. The platform's own rules on real people apply on top of these steps.")
}

// apiSteps say how to reach the platform by its API: the script where the
// API is live, and plainly that there is none where it is shut down.
func apiSteps(p compiler.Profile, r compiler.Result, hasRequest, hasScript bool) []string {
	if p.API == nil {
		return []string{fmt.Sprintf("%s has no public API that this check found.", p.Name)}
	}
	if !hasScript {
		s := []string{fmt.Sprintf("No `%s`: the %s is shut down (status above), so there is nothing to run.", ScriptName, p.API.Name)}
		if hasRequest {
			s = append(s, "`request.json` shows the request body it took.")
		}
		return s
	}
	var env, run string
	switch p.API.Format {
	case "xai_videos":
		env = "Get an API key at console.x.ai (API Keys) and put it in the environment variable `XAI_API_KEY`. `XAI_BASE_URL` changes the address (default `https://api.x.ai/v1`)."
		run = "XAI_API_KEY=your-key ./generate.sh my-video.mp4"
	case "vertex_veo":
		env = "You need a Google Cloud project with the Vertex AI API enabled and the gcloud CLI signed in. The script reads an access token from `VERTEX_ACCESS_TOKEN`, the project from `GOOGLE_CLOUD_PROJECT` and the region from `GOOGLE_CLOUD_LOCATION` (default `us-central1`); `VERTEX_BASE_URL` changes the address."
		run = `VERTEX_ACCESS_TOKEN="$(gcloud auth print-access-token)" GOOGLE_CLOUD_PROJECT=your-project ./generate.sh my-video.mp4`
	}
	s := []string{
		fmt.Sprintf("`%s` does it all: it reads `prompt.txt`, base64-encodes the photos in `references/`, submits them to the %s, polls every 10 seconds until the video is ready and saves it. It needs `bash`, `curl`, `jq` and `base64` (macOS and Linux have them; on Windows use WSL or Git Bash).", ScriptName, p.API.Name),
		"",
		"1. " + env,
		"2. Unzip the pack, open a terminal in its folder and run:",
		"",
		"   ```",
		"   " + run,
		"   ```",
		"",
		"3. It prints what it does and saves the video (default `video.mp4`). An error from the API is printed as the API sent it.",
		"",
		fmt.Sprintf("`request.json` is the same request body with placeholders, for your own code. Not confirmed: %s", scriptUnconfirmed(p)),
	}
	return s
}

// scriptUnconfirmed says which parts of the script's request and polling
// could not be checked against the vendor's own documentation.
func scriptUnconfirmed(p compiler.Profile) string {
	switch p.API.Format {
	case "xai_videos":
		return "the submit (`POST /v1/videos/generations`, answering `request_id`) and poll (`GET /v1/videos/{request_id}` until `status` is `done`) follow third-party guides; the `reference_images` field and the finished video's `video.url` could not be confirmed on docs.x.ai in this check."
	case "vertex_veo":
		return "the submit (`:predictLongRunning`, answering an operation `name`) and poll (`:fetchPredictOperation` with `operationName`, until `done`, the video in `response.videos[0].bytesBase64Encoded` or `gcsUri`) follow Google's Vertex AI pages and client libraries read in part; the `referenceImages` and `generateAudio` names were not fully confirmed."
	}
	return "the request shape was not re-checked in this build."
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

func joinOrWords(ws []string) string {
	if len(ws) < 2 {
		return strings.Join(ws, "")
	}
	return strings.Join(ws[:len(ws)-1], ", ") + " or " + ws[len(ws)-1]
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
	loader := "LoraLoader"
	if !classicUIs(l) {
		loader = "LoraLoaderModelOnly" // trained on the diffusion model only
	}
	line("- `comfyui/workflow_api.json`: a ComfyUI workflow in API format whose %s loads `%s` at strength %.2f.", loader, name, r.Params.LoRAWeight)
	line("- `prompt.txt`: the prompt for Forge or AUTOMATIC1111, ending in `%s`.", r.LoRABlock)
	// A still image has no audio to speak of, though params.json says false.
	words := slices.DeleteFunc(paramWords(r.Params), func(w string) bool { return w == "audio" })
	line("- `params.json`: %s.", joinAndWords(append(words, "LoRA weight")))
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
		unet := l.UNet
		if l.UNetLowNoise != "" { // Wan 2.2: two experts; the LoRA loads on the low-noise one
			unet += "` and `" + l.UNetLowNoise
		}
		line("2. The workflow expects `%s` in `ComfyUI/models/unet/` (or `diffusion_models/`), `%s` in `ComfyUI/models/clip/` (or `text_encoders/`) and `%s` in `ComfyUI/models/vae/`; rename them in their loader nodes if yours differ.", unet, strings.Join(l.CLIP, "` and `"), l.VAE)
	}
	line("3. Restart ComfyUI, or press R in it, so it sees the new file.")
	line("4. Drag `comfyui/workflow_api.json` onto the ComfyUI window, then press Queue. Scripts can send it as the `prompt` of a POST to ComfyUI's `/prompt`.")
	line("")
	if classicUIs(l) {
		forgeSwarmInvoke(line, p, r, name, stem)
	} else {
		// Whether Forge, AUTOMATIC1111, SwarmUI or InvokeAI run this model
		// was not checked: say so rather than give steps that may not work.
		line("## Other programs")
		line("")
		line("Whether Forge, AUTOMATIC1111, SwarmUI or InvokeAI run %s was not checked for this pack: ComfyUI's workflow is the reference. In a program that does run it, copy `loras/%s` where it keeps LoRAs and add `%s` at weight %.2f.", p.Name, name, stem, r.Params.LoRAWeight)
		line("")
	}
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
	if classicUIs(l) {
		line("- The SwarmUI and InvokeAI steps follow those programs' usual layout; their documentation was not re-read for this pack.")
	}
	return b.String()
}

// classicUIs reports whether l's model is one Forge/AUTOMATIC1111, SwarmUI
// and InvokeAI are known to run (Flux and SDXL); for the others the pack
// points to ComfyUI.
func classicUIs(l *compiler.LoRASpec) bool { return l.Workflow == "sdxl" || l.Workflow == "flux" }

// forgeSwarmInvoke writes the steps for Forge/AUTOMATIC1111, SwarmUI and
// InvokeAI.
func forgeSwarmInvoke(line func(string, ...any), p compiler.Profile, r compiler.Result, name, stem string) {
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
}
