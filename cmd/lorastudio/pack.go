package main

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"

	"github.com/promptforge/lorastudio/internal/charpack"
	"github.com/promptforge/lorastudio/internal/compiler"
	"github.com/promptforge/lorastudio/internal/dataset"
	"github.com/promptforge/lorastudio/internal/studio"
)

const packHelp = `
Validates the photos in --dataset with the same engine as 'lorastudio
validate', picks the best reference images for the platform (the sharpest,
a frontal, a left and a right three-quarter view..., never a photo with an
error), re-encodes them without metadata, and writes a Character Pack zip:
manifest.json (every file's sha256), prompt.txt, params.json,
instructions.md, request.json where the platform has a live API, and
references/. The same inputs always give the same bytes.

Exit status: 0 ok, 1 when no pack can be made (no usable photo, a LoRA
pipeline, a prompt over the platform's limit...), 2 on a usage error.
`

func runPack(ctx context.Context, c *cli, args []string) int {
	fs := flag.NewFlagSet("pack", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	var pf promptFlags
	pf.register(fs)
	dir := fs.String("dataset", "", "the `folder` of your photos")
	out := fs.String("out", "", "the pack to write, `FILE.zip`")
	minRes := fs.Int("min-resolution", 0, "the smallest short side, in `pixels`, a usable photo may have (default 512, as in validate)")
	fs.Usage = func() {
		fmt.Fprintln(c.stderr, "usage: lorastudio pack --platform ID --dataset DIR --prompt TEXT --out FILE.zip [--identity NAME] [--version V] [--describe TEXT]")
		fs.PrintDefaults()
		fmt.Fprint(c.stderr, packHelp)
	}
	if err := fs.Parse(args); err != nil {
		return usageExit(err)
	}
	req, err := pf.request()
	switch {
	case err != nil:
	case *dir == "" || *out == "":
		err = fmt.Errorf("--dataset and --out are required")
	case fs.NArg() > 0:
		err = fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if err != nil {
		fmt.Fprintln(c.stderr, "lorastudio pack:", err)
		return exitUsage
	}
	// Fail fast, before validating a folder of photos for nothing.
	if p, err := compiler.Lookup(req.Platform); err != nil {
		return domainError(c, "pack", err)
	} else if p.SupportsLoRAInjection {
		return domainError(c, "pack", studio.Errorf("lora_pipeline", "%s loads the LoRA itself: use 'lorastudio compile' for its prompt and ComfyUI workflow", p.Name))
	}

	report, skipped, err := dataset.ValidateDir(ctx, *dir, dataset.Options{MinResolution: *minRes})
	if err != nil {
		return domainError(c, "pack", err)
	}
	printSkipped(c.stderr, "pack", skipped)
	in := charpack.Input{Request: req, DatasetHash: report.DatasetHash, Encode: charpack.DatasetEncoder,
		Candidates: charpack.Candidates(report, func(f string) string { return filepath.Join(*dir, f) })}
	pack, res, sum, err := charpack.WriteFile(ctx, *out, in)
	if err != nil {
		return domainError(c, "pack", err)
	}
	printNotes(c.stderr, res)
	if !report.OK {
		fmt.Fprintf(c.stderr, "note: the dataset does not pass validation for training (run 'lorastudio validate %s'); the references were chosen among the photos without errors\n", *dir)
	}
	fmt.Fprintf(c.stdout, "wrote %s: %s, %d reference images, sha256 %s\n", *out, res.PlatformName, len(pack.Manifest.References), sum)
	return exitOK
}
