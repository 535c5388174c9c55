package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/promptforge/lorastudio/internal/compiler"
	"github.com/promptforge/lorastudio/internal/studio"
)

// promptFlags are the flags compile and pack share: the prompt, the
// identity and the generation options.
type promptFlags struct {
	platform, prompt, negative           string
	identity, version, trigger, describe string
	cameo, size, aspect, resolution      string
	duration                             int
	seed                                 string
}

func (f *promptFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.platform, "platform", "", "platform `ID`: "+profileIDs())
	fs.StringVar(&f.prompt, "prompt", "", "what to generate, as free `text`")
	fs.StringVar(&f.negative, "negative", "", "what to avoid, where the platform takes a negative prompt")
	fs.StringVar(&f.identity, "identity", "", "the trained identity as `NAME[:WEIGHT]` (the LoRA's name and strength)")
	fs.StringVar(&f.version, "version", "", "the identity's version `N`: on a LoRA pipeline the LoRA is then the file LoRA Studio names NAME-vN-PLATFORM.safetensors")
	fs.StringVar(&f.trigger, "trigger", "", "the LoRA's trigger `word` (LoRA pipelines only; never sent to a target platform)")
	fs.StringVar(&f.describe, "describe", "", "your own short description of your appearance, for platforms that cannot load a LoRA")
	fs.StringVar(&f.cameo, "cameo", "", "your Sora cameo `handle`")
	fs.StringVar(&f.size, "size", "", "output size `WxH`")
	fs.StringVar(&f.aspect, "aspect", "", "aspect ratio, e.g. 16:9")
	fs.StringVar(&f.resolution, "resolution", "", "resolution, e.g. 720p")
	fs.IntVar(&f.duration, "duration", 0, "clip length in `seconds`")
	fs.StringVar(&f.seed, "seed", "", "seed, where the platform takes one")
}

// request turns the flags into a compile request; an error is a usage error.
func (f *promptFlags) request() (compiler.Request, error) {
	if f.platform == "" || strings.TrimSpace(f.prompt) == "" {
		return compiler.Request{}, errors.New("--platform and --prompt are required")
	}
	req := compiler.Request{
		Platform: f.platform,
		Prompt:   compiler.Prompt{Text: f.prompt, Negative: f.negative},
		Identity: compiler.Identity{Version: f.version, Trigger: f.trigger, Describe: f.describe, Cameo: f.cameo},
		Options: compiler.Options{
			Size: f.size, AspectRatio: f.aspect, Resolution: f.resolution,
			DurationS: f.duration, References: -1,
		},
	}
	if f.identity != "" {
		name, weight, hasWeight := strings.Cut(f.identity, ":")
		req.Identity.Name = name
		if hasWeight {
			w, err := strconv.ParseFloat(weight, 64)
			if err != nil {
				return req, fmt.Errorf("--identity %q: the weight after ':' must be a number", f.identity)
			}
			req.Identity.Weight = w
		}
	}
	// On a LoRA pipeline, an identity with a numbered version is the file
	// the backend names: the block loads "alice-v3-flux-dev", as packed.
	if v, err := strconv.Atoi(f.version); err == nil && req.Identity.Name != "" && studio.IsTrainable(f.platform) {
		req.Identity.Name = strings.TrimSuffix(studio.LoRAFileName(req.Identity.Name, v, f.platform), ".safetensors")
	}
	if f.seed != "" {
		s, err := strconv.ParseInt(f.seed, 10, 64)
		if err != nil {
			return req, fmt.Errorf("--seed %q is not an integer", f.seed)
		}
		req.Options.Seed = &s
	}
	return req, nil
}

func profileIDs() string {
	var ids []string
	for _, p := range compiler.Profiles() {
		ids = append(ids, p.ID)
	}
	return strings.Join(ids, ", ")
}

const compileHelp = `
Prints the compiled prompt on stdout: for a LoRA pipeline (a trainable base
model: flux-dev, sdxl, flux-2-dev, qwen-image, z-image, wan-2.2...) with the trigger word in the subject and a <lora:NAME:WEIGHT> block; for the target
platforms (Sora, Veo, Grok) rewritten in the platform's structure with your
appearance in words and no LoRA block or trigger word. Warnings go to stderr.
With --json, stdout is the full result: the prompt, the parameters, the
reference plan, the platform's status and checked date, and for the LoRA
pipelines a ComfyUI API-format workflow with a LoraLoader node.

Exit status: 0 ok, 1 when the prompt cannot be compiled (unknown platform,
weight out of range, result over the platform's length limit...), 2 on a
usage error.
`

func runCompile(ctx context.Context, c *cli, args []string) int {
	fs := flag.NewFlagSet("compile", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	var pf promptFlags
	pf.register(fs)
	refs := fs.Int("references", -1, "how many reference images will accompany the prompt (-1: as many as the platform takes)")
	asJSON := fs.Bool("json", false, "print the whole result as JSON")
	fs.Usage = func() {
		fmt.Fprintln(c.stderr, "usage: lorastudio compile --platform ID --prompt TEXT [--identity NAME:WEIGHT] [--trigger WORD] [--describe TEXT] [--json]")
		fs.PrintDefaults()
		fmt.Fprint(c.stderr, compileHelp)
	}
	if err := fs.Parse(args); err != nil {
		return usageExit(err)
	}
	req, err := pf.request()
	if err == nil && fs.NArg() > 0 {
		err = fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if err != nil {
		fmt.Fprintln(c.stderr, "lorastudio compile:", err)
		return exitUsage
	}
	req.Options.References = *refs

	res, err := compiler.Compile(req)
	if err != nil {
		return domainError(c, "compile", err)
	}
	printNotes(c.stderr, res)
	if *asJSON {
		if err := writeJSON(c.stdout, res); err != nil {
			return domainError(c, "compile", err)
		}
		return exitOK
	}
	fmt.Fprintln(c.stdout, res.Prompt)
	return exitOK
}

// printNotes tells the user, on stderr, what the compile could not honour
// and whether the platform is still there.
func printNotes(w io.Writer, res compiler.Result) {
	if res.Status != compiler.StatusAvailable {
		fmt.Fprintf(w, "note: %s is %s (checked %s): %s\n", res.PlatformName, strings.ReplaceAll(res.Status, "_", " "), res.Checked, res.StatusNote)
	}
	for _, warn := range res.Warnings {
		fmt.Fprintln(w, "warning:", warn)
	}
}

// domainError prints a domain error's message and code, and exits 1.
func domainError(c *cli, cmd string, err error) int {
	if studio.ErrorCode(err) == studio.EInternal {
		fmt.Fprintf(c.stderr, "lorastudio %s: %v\n", cmd, err)
	} else {
		fmt.Fprintf(c.stderr, "lorastudio %s: %s (%s)\n", cmd, studio.ErrorMessage(err), studio.ErrorCode(err))
	}
	return exitFail
}

// writeJSON writes v indented, leaving < and > readable: prompts hold
// <IMAGE_1> and <lora:…>.
func writeJSON(w io.Writer, v any) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := w.Write(b.Bytes())
	return err
}
