package main

import (
	"context"
	"crypto/sha256"
	"flag"
	"fmt"
	"io"
	"os"
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

	report, err := dataset.ValidateDir(ctx, *dir, dataset.Options{MinResolution: *minRes})
	if err != nil {
		return domainError(c, "pack", err)
	}
	in := charpack.Input{Request: req, Candidates: candidates(*dir, report), DatasetHash: report.DatasetHash, Encode: thumbnail}
	pack, res, sum, err := writePack(ctx, *out, in)
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

// candidates maps the dataset engine's per-photo results to the compiler's
// own candidate type.
func candidates(dir string, r *dataset.Report) []compiler.Candidate {
	out := make([]compiler.Candidate, 0, len(r.Items))
	for _, it := range r.Items {
		c := compiler.Candidate{
			Path: filepath.Join(dir, it.File), SHA256: it.SHA256, Sharpness: it.Blur,
			Pose: it.Pose, Faces: it.Faces, Width: it.Width, Height: it.Height,
		}
		for _, is := range it.Issues {
			if is.Severity == dataset.SeverityError {
				c.HasError = true
			}
		}
		out = append(out, c)
	}
	return out
}

// thumbnail re-encodes a reference with the dataset engine, the same
// decoder that validated it (libjpeg-turbo at a reduced DCT scale in cgo
// builds), with orientation applied and no metadata.
func thumbnail(ctx context.Context, path string, maxSide int, w io.Writer) error {
	src := dataset.Source{Name: filepath.Base(path), Open: func() (io.ReadCloser, error) { return os.Open(path) }}
	return dataset.Thumbnail(ctx, src, w, maxSide)
}

// writePack writes the pack next to its destination and renames it into
// place, so a failed run never leaves half a zip under the user's name. It
// returns the zip's sha256, which is the same for the same inputs.
func writePack(ctx context.Context, out string, in charpack.Input) (*charpack.Pack, compiler.Result, string, error) {
	fail := func(err error) (*charpack.Pack, compiler.Result, string, error) {
		return nil, compiler.Result{}, "", err
	}
	if fi, err := os.Stat(out); err == nil && fi.IsDir() {
		return fail(studio.Errorf(studio.EInvalid, "%s is a folder; --out names the zip to write", out))
	}
	tmp, err := os.CreateTemp(filepath.Dir(out), ".lorastudio-pack-*")
	if err != nil {
		return fail(studio.Wrap(err, studio.EUnavailable, "cannot write in "+filepath.Dir(out)))
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	h := sha256.New()
	pack, res, err := charpack.Write(ctx, io.MultiWriter(tmp, h), in)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), out)
	}
	if err != nil {
		return fail(err)
	}
	return pack, res, fmt.Sprintf("%x", h.Sum(nil)), nil
}
