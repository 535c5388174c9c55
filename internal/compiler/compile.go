package compiler

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/promptforge/lorastudio/internal/studio"
)

// Prompt is what the user wants to see: either free Text, or the structured
// fields, not both. Negative may accompany either.
type Prompt struct {
	Text     string `json:"text,omitempty"`
	Subject  string `json:"subject,omitempty"`
	Action   string `json:"action,omitempty"`
	Scene    string `json:"scene,omitempty"`
	Style    string `json:"style,omitempty"`
	Camera   string `json:"camera,omitempty"`
	Lighting string `json:"lighting,omitempty"`
	Dialogue string `json:"dialogue,omitempty"`
	Audio    string `json:"audio,omitempty"`
	Negative string `json:"negative,omitempty"`
}

func (p Prompt) structured() bool {
	return strings.TrimSpace(p.Subject+p.Action+p.Scene+p.Style+p.Camera+p.Lighting+p.Dialogue+p.Audio) != ""
}

// Identity is the active trained identity. Name, Version, Trigger and
// Weight concern the LoRA pipelines; Describe (the person's own short
// description of their appearance) and Cameo concern the target platforms,
// which never see the LoRA or its trigger word.
type Identity struct {
	Name     string  `json:"name,omitempty"`
	Version  string  `json:"version,omitempty"`
	Trigger  string  `json:"trigger,omitempty"`
	Weight   float64 `json:"weight,omitempty"` // 0 means the profile's default
	Describe string  `json:"describe,omitempty"`
	Cameo    string  `json:"cameo,omitempty"` // the user's Sora cameo handle, without "@"
}

// Options are the generation parameters; zero values take the profile's
// defaults.
type Options struct {
	Size        string `json:"size,omitempty"`
	AspectRatio string `json:"aspect_ratio,omitempty"`
	Resolution  string `json:"resolution,omitempty"`
	DurationS   int    `json:"duration_s,omitempty"`
	Seed        *int64 `json:"seed,omitempty"`
	// References is how many reference images accompany the prompt; -1
	// means as many as the platform takes (what a full pack carries).
	References int `json:"references"`
}

// Request is one compile.
type Request struct {
	Platform string   `json:"platform"`
	Prompt   Prompt   `json:"prompt"`
	Identity Identity `json:"identity"`
	Options  Options  `json:"options"`
}

// Result is a compiled prompt with everything a generator, or a Character
// Pack, needs beside it.
type Result struct {
	Platform       string          `json:"platform"`
	PlatformName   string          `json:"platform_name"`
	Kind           string          `json:"kind"`
	ModelID        string          `json:"model_id"`
	Status         string          `json:"status"`
	StatusNote     string          `json:"status_note"`
	Checked        string          `json:"checked"`
	Prompt         string          `json:"prompt"`
	PromptChars    int             `json:"prompt_chars"`
	PromptMaxChars int             `json:"prompt_max_chars"`
	LoRABlock      string          `json:"lora_block,omitempty"`
	Workflow       json.RawMessage `json:"comfyui_workflow,omitempty"`
	Params         Params          `json:"params"`
	References     ReferencePlan   `json:"references"`
	Warnings       []string        `json:"warnings,omitempty"`
}

// Params are the generation parameters as the platform will take them.
type Params struct {
	Model          string  `json:"model"`
	Size           string  `json:"size,omitempty"`
	Width          int     `json:"width,omitempty"`
	Height         int     `json:"height,omitempty"`
	AspectRatio    string  `json:"aspect_ratio,omitempty"`
	Resolution     string  `json:"resolution,omitempty"`
	DurationS      int     `json:"duration_s,omitempty"`
	NegativePrompt string  `json:"negative_prompt,omitempty"`
	Seed           *int64  `json:"seed,omitempty"`
	Audio          bool    `json:"audio"`
	LoRAWeight     float64 `json:"lora_weight,omitempty"`
}

// ReferencePlan says how many reference images go with the prompt and how
// the prompt names them.
type ReferencePlan struct {
	Count   int      `json:"count"`
	Max     int      `json:"max"`
	Role    string   `json:"role,omitempty"`
	Binding string   `json:"binding"`
	Upload  bool     `json:"upload"`
	Tags    []string `json:"tags,omitempty"` // <IMAGE_1>... where the binding names them
}

var (
	loraBlockRE = regexp.MustCompile(`(?i)<lora:[^>]*>`)
	// Long enough for any studio.LoRAFileName stem (a 48-character slug, the
	// version number and the base model).
	loraNameRE  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,95}$`)
	cameoRE     = regexp.MustCompile(`^[A-Za-z0-9._]{1,40}$`)
	emptyListRE = regexp.MustCompile(`\s*,(\s*,)+`) // ", ," left where a trigger word was
)

// Compile turns req into the platform's prompt.
// Returns "unknown_platform", "empty_prompt", "invalid_prompt",
// "invalid_identity", "weight_out_of_range", "invalid_size",
// "invalid_duration", "too_many_references" or "prompt_too_long"; it never
// truncates.
func Compile(req Request) (Result, error) {
	p, err := Lookup(req.Platform)
	if err != nil {
		return Result{}, err
	}
	c := &compilation{p: p, id: req.Identity}
	pr := req.Prompt
	if strings.TrimSpace(pr.Text) == "" && !pr.structured() {
		return Result{}, studio.Errorf(studio.EEmptyPrompt, "the prompt is empty: describe what you want to see")
	}
	if strings.TrimSpace(pr.Text) != "" && pr.structured() {
		return Result{}, studio.Errorf(studio.EInvalidPrompt, "give either free text or the structured fields (subject, action...), not both")
	}
	if err := c.checkIdentity(); err != nil {
		return Result{}, err
	}
	res := Result{
		Platform: p.ID, PlatformName: p.Name, Kind: p.Kind, ModelID: p.ModelID,
		Status: p.Status, StatusNote: p.StatusNote, Checked: p.Checked,
		PromptMaxChars: p.PromptMaxChars,
	}
	if res.References, err = c.plan(req.Options.References); err != nil {
		return Result{}, err
	}
	if res.Params, err = c.params(req.Options, res.References.Count); err != nil {
		return Result{}, err
	}

	fields := c.fields(pr, res.References)
	if neg := c.clean("negative", pr.Negative); neg != "" {
		if p.NegativePrompt {
			res.Params.NegativePrompt = neg
		} else {
			c.warn("%s takes no negative prompt: %q was left out", p.Name, neg)
		}
	}
	body := render(p, fields)
	if strings.TrimSpace(body) == "" {
		return Result{}, studio.Errorf(studio.EEmptyPrompt, "nothing of the prompt is left for %s once unsupported parts are removed", p.Name)
	}
	res.Prompt = body
	if c.lora() {
		res.Params.LoRAWeight = c.weight
		res.LoRABlock = "<lora:" + c.id.Name + ":" + strconv.FormatFloat(c.weight, 'f', 2, 64) + ">"
		res.Prompt = body + " " + res.LoRABlock
		if res.Workflow, err = comfyWorkflow(p, c.id.Name, c.weight, body, res.Params); err != nil {
			return Result{}, err
		}
	}
	res.PromptChars = utf8.RuneCountInString(res.Prompt)
	if res.PromptChars > p.PromptMaxChars {
		return Result{}, studio.Errorf(studio.EPromptTooLong, "the compiled prompt for %s is %d characters and the limit is %d; shorten it by %d characters (limit: %s)",
			p.Name, res.PromptChars, p.PromptMaxChars, res.PromptChars-p.PromptMaxChars, p.PromptMaxSource)
	}
	res.Warnings = c.warnings
	return res, nil
}

type compilation struct {
	p        Profile
	id       Identity
	weight   float64
	warnings []string
}

func (c *compilation) warn(format string, args ...any) {
	c.warnings = append(c.warnings, fmt.Sprintf(format, args...))
}

// lora reports whether this compile injects a LoRA: a LoRA pipeline and an
// identity to load.
func (c *compilation) lora() bool { return c.p.SupportsLoRAInjection && c.id.Name != "" }

func (c *compilation) checkIdentity() error {
	id := &c.id
	id.Name, id.Trigger = strings.TrimSpace(id.Name), strings.TrimSpace(id.Trigger)
	id.Describe, id.Cameo = strings.TrimSpace(id.Describe), strings.TrimPrefix(strings.TrimSpace(id.Cameo), "@")
	if id.Trigger != "" && strings.ContainsAny(id.Trigger, "<>:,()[]\n") {
		return studio.Errorf(studio.EInvalidIdentity, "the trigger word %q may not contain < > : , ( ) [ ] or line breaks", id.Trigger)
	}
	if id.Cameo != "" && !cameoRE.MatchString(id.Cameo) {
		return studio.Errorf(studio.EInvalidIdentity, "the cameo handle %q may hold only letters, digits, dots and underscores", id.Cameo)
	}
	if math.IsNaN(id.Weight) || math.IsInf(id.Weight, 0) {
		return studio.Errorf(studio.EWeightOutOfRange, "the LoRA weight must be a number")
	}
	if !c.p.SupportsLoRAInjection {
		if id.Weight != 0 {
			c.warn("%s cannot load a LoRA: the weight %.2f is not used", c.p.Name, id.Weight)
		}
		return nil
	}
	if id.Name == "" {
		if id.Trigger != "" || id.Weight != 0 {
			return studio.Errorf(studio.EInvalidIdentity, "a trigger word or weight needs the LoRA's name")
		}
		c.warn("no identity given: the prompt carries no LoRA")
		return nil
	}
	if !loraNameRE.MatchString(id.Name) {
		return studio.Errorf(studio.EInvalidIdentity, "the LoRA name %q must be 1 to 96 letters, digits, dots, dashes or underscores, starting with a letter or digit", id.Name)
	}
	l := c.p.LoRA
	w := id.Weight
	if w == 0 {
		w = l.WeightDefault
	}
	if w < l.WeightMin || w > l.WeightMax {
		return studio.Errorf(studio.EWeightOutOfRange, "the LoRA weight %g is outside %s's range %.2f to %.2f", w, c.p.Name, l.WeightMin, l.WeightMax)
	}
	// Rounded once so the block and the workflow say the same strength.
	c.weight = math.Round(w*100) / 100
	if id.Trigger == "" {
		c.warn("no trigger word: the LoRA block alone may not bring out the identity")
	}
	return nil
}

// plan resolves how many reference images go with the prompt.
func (c *compilation) plan(n int) (ReferencePlan, error) {
	rp := c.p.References
	plan := ReferencePlan{Max: rp.Max, Role: rp.Role, Binding: rp.Binding, Upload: rp.Upload}
	switch {
	case n < 0:
		n = rp.Max
	case n > rp.Max:
		return plan, studio.Errorf(studio.ETooManyReferences, "%s takes at most %d reference images, got %d", c.p.Name, rp.Max, n)
	}
	plan.Count = n
	if rp.Binding == BindingImageTags {
		for i := 1; i <= n; i++ {
			plan.Tags = append(plan.Tags, fmt.Sprintf("<IMAGE_%d>", i))
		}
	}
	return plan, nil
}

func (c *compilation) params(o Options, refs int) (Params, error) {
	p := c.p
	out := Params{Model: p.ModelID, Audio: p.Audio}
	size, ar, res := o.Size, o.AspectRatio, o.Resolution
	switch {
	case size != "":
		if !slices.Contains(p.Sizes, size) {
			return out, studio.Errorf(studio.EInvalidSize, "%s does not make %s; choose one of %s", p.Name, size, listOr(p.Sizes))
		}
		w, h := parseSize(size)
		if ar != "" && ar != aspectOf(w, h) || res != "" && res != resolutionOf(w, h) {
			return out, studio.Errorf(studio.EInvalidSize, "size %s contradicts the aspect ratio or resolution given", size)
		}
		ar = aspectOf(w, h)
		if p.Output == "video" {
			res = resolutionOf(w, h)
		}
	case ar != "" || res != "":
		if ar == "" {
			ar = p.Defaults.AspectRatio
		}
		if res == "" {
			res = p.Defaults.Resolution
		}
		if !slices.Contains(p.AspectRatios, ar) {
			return out, studio.Errorf(studio.EInvalidSize, "%s does not take aspect ratio %s; choose one of %s", p.Name, ar, listOr(p.AspectRatios))
		}
		if res != "" && !slices.Contains(p.Resolutions, res) {
			return out, studio.Errorf(studio.EInvalidSize, "%s does not take resolution %s; choose one of %s", p.Name, res, listOr(p.Resolutions))
		}
		for _, s := range p.Sizes {
			if w, h := parseSize(s); aspectOf(w, h) == ar && (res == "" || resolutionOf(w, h) == res) {
				size = s
				break
			}
		}
		if len(p.Sizes) > 0 && size == "" {
			return out, studio.Errorf(studio.EInvalidSize, "%s has no size for %s at %s", p.Name, ar, res)
		}
	default:
		size, ar, res = p.Defaults.Size, p.Defaults.AspectRatio, p.Defaults.Resolution
	}
	out.Size, out.AspectRatio, out.Resolution = size, ar, res
	if size != "" {
		out.Width, out.Height = parseSize(size)
	}

	if p.Output == "video" {
		d, err := c.duration(o.DurationS, res, refs)
		if err != nil {
			return out, err
		}
		out.DurationS = d
	} else if o.DurationS != 0 {
		c.warn("%s makes still images: the duration is not used", p.Name)
	}
	if o.Seed != nil {
		if p.Seed {
			s := *o.Seed
			out.Seed = &s
		} else {
			c.warn("%s takes no seed: %d is not used", p.Name, *o.Seed)
		}
	}
	return out, nil
}

// duration picks the clip length: the caller's, checked against every
// limit that applies, or the longest allowed one not above the default.
func (c *compilation) duration(want int, res string, refs int) (int, error) {
	p := c.p
	allowed := slices.Clone(p.DurationsS)
	why := p.Name
	keep := func(limit []int, reason string) {
		if len(limit) == 0 {
			return
		}
		allowed = slices.DeleteFunc(allowed, func(d int) bool { return !slices.Contains(limit, d) })
		why = reason
	}
	if refs > 0 {
		keep(p.References.DurationsS, fmt.Sprintf("%s with reference images", p.Name))
	}
	keep(p.ResolutionDurationsS[res], fmt.Sprintf("%s at %s", p.Name, res))
	if len(allowed) == 0 {
		return 0, studio.Errorf(studio.EInvalidDuration, "%s allows no duration with these settings", p.Name)
	}
	if want != 0 {
		if !slices.Contains(allowed, want) {
			return 0, studio.Errorf(studio.EInvalidDuration, "%s makes clips of %s seconds, not %d", why, listOr(intStrings(allowed)), want)
		}
		return want, nil
	}
	best := allowed[0] // the shortest, if all are above the default
	for _, d := range allowed {
		if d <= p.Defaults.DurationS {
			best = d
		}
	}
	return best, nil
}

// clean strips what must never reach a platform: a LoRA block anywhere,
// and on target platforms the trigger word.
func (c *compilation) clean(field, s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	if loraBlockRE.MatchString(s) {
		s = strings.TrimSpace(loraBlockRE.ReplaceAllString(s, ""))
		c.warn("removed a <lora:…> block from the %s: the compiler places the LoRA itself, and only where a pipeline can load it", field)
	}
	if t := c.id.Trigger; t != "" && !c.p.SupportsLoRAInjection {
		re := regexp.MustCompile(`(?i)(^|[^\pL\pN_])` + regexp.QuoteMeta(t) + `($|[^\pL\pN_])`)
		if re.MatchString(s) {
			for re.MatchString(s) {
				s = re.ReplaceAllString(s, "$1$2")
			}
			s = strings.Trim(emptyListRE.ReplaceAllString(strings.Join(strings.Fields(s), " "), ","), " ,;:")
			c.warn("removed the trigger word %q from the %s: %s cannot load the LoRA it belongs to", t, field, c.p.Name)
		}
	}
	return s
}

// fields maps each prompt section to its text, with the identity placed in
// the subject: the trigger word on LoRA pipelines, words and a reference
// binding on target platforms.
func (c *compilation) fields(pr Prompt, refs ReferencePlan) map[string]string {
	f := map[string]string{
		"subject": c.clean("subject", pr.Subject), "action": c.clean("action", pr.Action),
		"scene": c.clean("scene", pr.Scene), "style": c.clean("style", pr.Style),
		"camera": c.clean("camera", pr.Camera), "lighting": c.clean("lighting", pr.Lighting),
		"dialogue": c.clean("dialogue", pr.Dialogue), "audio": c.clean("audio", pr.Audio),
	}
	if text := c.clean("prompt", pr.Text); text != "" {
		// Free text cannot be restructured: it follows the identity.
		f["action"] = text
	}
	var who string
	if c.lora() {
		who = c.id.Trigger
	} else if !c.p.SupportsLoRAInjection {
		who = c.identityWords(refs)
	}
	f["subject"] = joinNonEmpty(", ", who, f["subject"])

	p := c.p
	if pr.structured() && f["action"] != "" && c.actionFollowsSubject() {
		// One sentence reads better than a subject fragment and an action
		// fragment: "the person…, in a red coat, walks along…".
		f["subject"], f["action"] = joinNonEmpty(", ", f["subject"], f["action"]), ""
	}
	if d := strings.Trim(f["dialogue"], `"“” `); d != "" {
		switch p.Dialogue {
		case DialogueInline:
			f["dialogue"] = `They say: "` + d + `"`
		case DialogueBlock:
			f["dialogue"] = `"` + d + `"`
		default:
			what := "silent still images"
			if p.Output == "video" {
				what = "silent video" // Wan 2.2: a video pipeline without speech
			}
			c.warn("%s makes %s: the dialogue was left out", p.Name, what)
			f["dialogue"] = ""
		}
	}
	if f["audio"] != "" && !p.Audio {
		c.warn("%s makes no audio: the sound description was left out", p.Name)
		f["audio"] = ""
	}
	for _, field := range []string{"subject", "action", "scene", "style", "camera", "lighting", "dialogue", "audio"} {
		if f[field] != "" && !hasSection(p, field) {
			c.warn("%s's prompt structure has no %s section: it was left out", p.Name, field)
		}
	}
	return f
}

// identityWords is how a target platform learns who the person is: bound
// to the references the way it expects, and described in the user's words.
func (c *compilation) identityWords(refs ReferencePlan) string {
	describe := c.clean("description", c.id.Describe)
	var bind string
	switch {
	case refs.Binding == BindingCameo:
		handle := c.id.Cameo
		if handle == "" {
			handle = "your_cameo"
		}
		bind = "@" + handle
	case refs.Count == 0:
	case refs.Binding == BindingImageTags:
		bind = "the person from " + joinAnd(refs.Tags)
	case refs.Binding == BindingIngredients:
		bind = "the person shown in the reference images"
	}
	if bind == "" && describe != "" {
		bind = "a person"
	}
	return joinNonEmpty(", ", bind, describe)
}

// actionFollowsSubject reports whether a prose profile lays the action out,
// unlabelled, right after the subject.
func (c *compilation) actionFollowsSubject() bool {
	ss := c.p.PromptSections
	for i := 0; i+1 < len(ss); i++ {
		if ss[i].Field == "subject" {
			return c.p.PromptSeparator != ", " && ss[i+1].Field == "action" && ss[i].Label == "" && ss[i+1].Label == ""
		}
	}
	return false
}

func hasSection(p Profile, field string) bool {
	return slices.ContainsFunc(p.PromptSections, func(s Section) bool { return s.Field == field })
}

// render lays the fields out in the profile's section order: tags joined by
// commas for image pipelines, sentences or labelled lines for video.
func render(p Profile, f map[string]string) string {
	var parts []string
	prose := p.PromptSeparator != ", "
	for _, s := range p.PromptSections {
		t := strings.TrimSpace(f[s.Field])
		if t == "" {
			continue
		}
		if !prose {
			parts = append(parts, strings.TrimRight(t, ".,;: "))
			continue
		}
		t = sentence(t)
		if s.Label != "" {
			t = s.Label + ": " + t
		}
		parts = append(parts, t)
	}
	return strings.Join(parts, p.PromptSeparator)
}

// sentence capitalises the first letter and ends the text with a stop.
func sentence(t string) string {
	r, n := utf8.DecodeRuneInString(t)
	t = string(unicode.ToUpper(r)) + t[n:]
	if last, _ := utf8.DecodeLastRuneInString(t); !strings.ContainsRune(`.!?"'”…`, last) {
		t += "."
	}
	return t
}

func joinNonEmpty(sep string, parts ...string) string {
	return strings.Join(slices.DeleteFunc(parts, func(s string) bool { return s == "" }), sep)
}

func joinAnd(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

func listOr(items []string) string {
	if len(items) == 0 {
		return "(none)"
	}
	return strings.Join(items, ", ")
}

func intStrings(ds []int) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = strconv.Itoa(d)
	}
	return out
}

func parseSize(s string) (w, h int) {
	a, b, _ := strings.Cut(s, "x")
	w, _ = strconv.Atoi(a)
	h, _ = strconv.Atoi(b)
	return w, h
}

func aspectOf(w, h int) string {
	g := gcd(w, h)
	if g == 0 {
		return ""
	}
	return fmt.Sprintf("%d:%d", w/g, h/g)
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// resolutionOf names a video size by its short side, as the platforms do.
func resolutionOf(w, h int) string {
	s := min(w, h)
	if s == 2160 {
		return "4k"
	}
	return strconv.Itoa(s) + "p"
}
