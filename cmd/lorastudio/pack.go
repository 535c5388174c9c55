package main

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/promptforge/lorastudio/internal/charpack"
	"github.com/promptforge/lorastudio/internal/compiler"
	"github.com/promptforge/lorastudio/internal/dataset"
	"github.com/promptforge/lorastudio/internal/studio"
)

const packHelp = `
For a target platform (sora-2*, veo-3.1*, grok-3): validates the photos in
--dataset with the same engine as 'lorastudio validate', picks the best
reference images for the platform (the sharpest, a frontal, a left and a
right three-quarter view..., never a photo with an error), re-encodes them
without metadata, and writes a Character Pack zip: manifest.json (every
file's sha256), prompt.txt, params.json, instructions.md, request.json where
the platform has a live API, and references/.

For a LoRA pipeline (a trainable base model, e.g. flux-dev, sdxl, wan-2.2): --lora is the trained
.safetensors; the pack holds it under the name LoRA Studio gives it
(alice-v3-flux-dev.safetensors), a ComfyUI workflow that loads it, a
Forge/A1111 prompt with its <lora:NAME:WEIGHT> block, and where to copy it in
ComfyUI, Forge/A1111, SwarmUI and InvokeAI. The trigger words come from the
LoRA's own metadata (how its captions named you); --trigger overrides them.

--out must end in .zip; an existing file is kept unless --force. The same
inputs always give the same bytes. Check a pack with 'lorastudio verify'.

Exit status: 0 ok, 1 when no pack can be made (no usable photo, a bad LoRA
file, an existing --out, a prompt over the platform's limit...), 2 on a
usage error.
`

// backendLoRAName is the shape of the file name the backend gives a LoRA
// of base model id (studio.LoRAFileName: "wan-2.2" is slugged "wan-2-2").
func backendLoRAName(id string) *regexp.Regexp {
	return regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*-v[0-9]+-` + regexp.QuoteMeta(studio.Slug(id)) + `\.safetensors$`)
}

func runPack(ctx context.Context, c *cli, args []string) int {
	fs := flag.NewFlagSet("pack", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	var pf promptFlags
	pf.register(fs)
	dir := fs.String("dataset", "", "the `folder` of your photos (target platforms)")
	out := fs.String("out", "", "the pack to write, `FILE.zip`")
	force := fs.Bool("force", false, "replace --out if it exists")
	loraPath := fs.String("lora", "", "the trained LoRA, `FILE.safetensors` (LoRA pipelines: "+strings.Join(baseModelIDs(), ", ")+")")
	minRes := fs.Int("min-resolution", 0, "the smallest short side, in `pixels`, a usable photo may have (default 512, as in validate)")
	fs.Usage = func() {
		fmt.Fprintln(c.stderr, "usage: lorastudio pack --platform ID --prompt TEXT --out FILE.zip [--force] (--dataset DIR | --lora FILE.safetensors) [--identity NAME] [--version V] [--describe TEXT]")
		fs.PrintDefaults()
		fmt.Fprint(c.stderr, packHelp)
	}
	if err := fs.Parse(args); err != nil {
		return usageExit(err)
	}
	req, err := pf.request()
	switch {
	case err != nil:
	case *out == "":
		err = fmt.Errorf("--out is required")
	case !strings.EqualFold(filepath.Ext(*out), ".zip"):
		err = fmt.Errorf("--out %s must end in .zip", *out)
	case *dir == "" && *loraPath == "":
		err = fmt.Errorf("--dataset (target platforms) or --lora (LoRA pipelines: %s) is required", strings.Join(baseModelIDs(), ", "))
	case fs.NArg() > 0:
		err = fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if err != nil {
		fmt.Fprintln(c.stderr, "lorastudio pack:", err)
		return exitUsage
	}
	// Fail fast, before validating a folder of photos for nothing.
	p, err := compiler.Lookup(req.Platform)
	if err != nil {
		return domainError(c, "pack", err)
	}
	if err := charpack.CheckDestination(*out, *force); err != nil {
		return domainError(c, "pack", err)
	}
	if p.SupportsLoRAInjection {
		return packLoRA(ctx, c, p, req, *loraPath, *out, *force)
	}
	if *loraPath != "" {
		return domainError(c, "pack", studio.Errorf(studio.ELoRAPipeline, "%s cannot load a LoRA: leave out --lora; its pack carries reference photos from --dataset", p.Name))
	}
	if *dir == "" {
		fmt.Fprintln(c.stderr, "lorastudio pack: --dataset is required for", p.Name)
		return exitUsage
	}

	report, skipped, err := dataset.ValidateDir(ctx, *dir, dataset.Options{MinResolution: *minRes})
	if err != nil {
		return domainError(c, "pack", err)
	}
	printSkipped(c.stderr, "pack", skipped)
	in := charpack.Input{Request: req, DatasetHash: report.DatasetHash, Encode: charpack.DatasetEncoder,
		Candidates: charpack.Candidates(report, func(f string) string { return filepath.Join(*dir, f) })}
	pack, res, sum, err := charpack.WriteFile(ctx, *out, in, *force)
	if err != nil {
		return domainError(c, "pack", err)
	}
	printNotes(c.stderr, res)
	if !report.OK {
		fmt.Fprintf(c.stderr, "note: the dataset does not pass validation for training (run 'lorastudio validate %s'); the references were chosen among the photos without errors\n", *dir)
	}
	fmt.Fprintf(c.stdout, "wrote %s: %s, %s, sha256 %s\n", *out, res.PlatformName, plural(len(pack.Manifest.References), "reference image"), sum)
	return exitOK
}

// packLoRA writes the pack of a LoRA pipeline: the LoRA under the name the
// backend gives it, with its workflow and prompt.
func packLoRA(ctx context.Context, c *cli, p compiler.Profile, req compiler.Request, loraPath, out string, force bool) int {
	if loraPath == "" {
		fmt.Fprintf(c.stderr, "lorastudio pack: %s loads the LoRA itself: --lora FILE.safetensors is required\n", p.Name)
		return exitUsage
	}
	name := filepath.Base(loraPath)
	if _, err := strconv.Atoi(req.Identity.Version); err == nil && req.Identity.Name != "" {
		// promptFlags.request has named it studio.LoRAFileName's stem.
		name = req.Identity.Name + ".safetensors"
	} else if !backendLoRAName(p.ID).MatchString(name) {
		fmt.Fprintf(c.stderr, "lorastudio pack: %s is not named as LoRA Studio names a %s LoRA (NAME-vN-%s.safetensors): give --identity NAME and --version N\n", name, p.Name, studio.Slug(p.ID))
		return exitUsage
	}
	in := charpack.Input{Request: req, LoRA: &charpack.LoRA{Path: loraPath, Name: name}}
	pack, res, sum, err := charpack.WriteFile(ctx, out, in, force)
	if err != nil {
		return domainError(c, "pack", err)
	}
	printNotes(c.stderr, res)
	fmt.Fprintf(c.stdout, "wrote %s: %s LoRA %s, trigger %q, sha256 %s\n", out, res.PlatformName, name, pack.Manifest.LoRA.Trigger, sum)
	return exitOK
}
