package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/promptforge/lorastudio/internal/dataset"
	"github.com/promptforge/lorastudio/internal/studio"
)

const validateUsage = `usage: lorastudio validate [--json] [--base-model ID] [--min-resolution N] DIR

Validates every image directly inside DIR as a LoRA training set of one
person's face: formats, pixel budget, resolution (and enlarged photos),
duplicates, faces, the same person in every photo, blur, head angles.
Nothing in DIR is modified.

Exit status: 0 the dataset passes, 1 it does not, 2 usage error.

flags:
`

func runValidate(ctx context.Context, c *cli, args []string) int {
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	asJSON := fs.Bool("json", false, "print the quality report as JSON on stdout")
	baseModel := fs.String("base-model", "", "trainable base model ("+strings.Join(baseModelIDs(), ", ")+"): its data sets the recommended resolution and photo count")
	minRes := fs.Int("min-resolution", 512, "smallest short side in pixels; below it a photo is an error")
	fs.Usage = func() {
		fmt.Fprint(c.stderr, validateUsage)
		fs.PrintDefaults()
	}
	// Flags may come before or after DIR.
	var dirs []string
	for {
		if err := fs.Parse(args); err != nil {
			if err == flag.ErrHelp {
				return exitOK
			}
			return exitUsage
		}
		if fs.NArg() == 0 {
			break
		}
		dirs = append(dirs, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(dirs) != 1 {
		fmt.Fprintln(c.stderr, "lorastudio validate: give exactly one folder")
		fs.Usage()
		return exitUsage
	}
	if *minRes <= 0 {
		fmt.Fprintln(c.stderr, "lorastudio validate: --min-resolution must be positive")
		return exitUsage
	}
	opts := dataset.Options{MinResolution: *minRes, BaseModel: *baseModel}
	if isTerminal(c.stderr) {
		opts.Progress = progressBar(c.stderr)
	}
	r, skipped, err := dataset.ValidateDir(ctx, dirs[0], opts)
	printSkipped(c.stderr, "validate", skipped)
	if err != nil {
		fmt.Fprintf(c.stderr, "lorastudio validate: %s\n", studio.ErrorMessage(err))
		switch studio.ErrorCode(err) {
		case studio.ENotFound, studio.EUnknownBaseModel:
			return exitUsage
		}
		return exitFail
	}
	if *asJSON {
		enc := json.NewEncoder(c.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(r); err != nil {
			fmt.Fprintf(c.stderr, "lorastudio validate: %v\n", err)
			return exitFail
		}
	} else {
		printReport(c.stdout, r)
	}
	if !r.OK {
		return exitFail
	}
	return exitOK
}

// printSkipped tells, on stderr, which entries of the folder were not
// validated and why (stdout keeps the report alone, for --json).
func printSkipped(w io.Writer, cmd string, skipped []dataset.Skipped) {
	for _, s := range skipped {
		fmt.Fprintf(w, "lorastudio %s: skipped %s: %s\n", cmd, s.Name, s.Reason)
	}
}

func printReport(w io.Writer, r *dataset.Report) {
	verdict := "PASS"
	if !r.OK {
		verdict = "FAIL"
	}
	fmt.Fprintf(w, "%s: %d images, %d errors, %d warnings\ndataset %s\n", verdict, r.ImageCount, len(r.Errors), len(r.Warnings), r.DatasetHash)
	if id := r.Identity; id.Compared > 1 && id.Clear {
		fmt.Fprintf(w, "person: %d of %d faces compared match the face in %s\n", id.Members, id.Compared, id.Reference)
	}
	for _, group := range []struct {
		label string
		fs    []dataset.Finding
	}{{"error", r.Errors}, {"warning", r.Warnings}} {
		for _, f := range group.fs {
			fmt.Fprintf(w, "\n%s %s: %s\n", group.label, f.Code, f.Message)
			if len(f.Files) > 0 {
				fmt.Fprintf(w, "  %s\n", strings.Join(f.Files, " "))
			}
		}
	}
	v := r.Variety
	fmt.Fprintf(w, "\nposes: %d frontal, %d three-quarter left, %d three-quarter right, %d profile left, %d profile right, %d unknown\n",
		v.Poses[dataset.PoseFrontal], v.Poses[dataset.PoseThreeQuarterLeft], v.Poses[dataset.PoseThreeQuarterRight],
		v.Poses[dataset.PoseProfileLeft], v.Poses[dataset.PoseProfileRight], v.UnknownPose)
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// progressBar draws one self-overwriting line per file on w.
func progressBar(w io.Writer) func(dataset.Progress) {
	return func(p dataset.Progress) {
		const width = 30
		n := width * p.Done / max(p.Total, 1)
		name := p.File
		if len(name) > 30 {
			name = "…" + name[len(name)-29:]
		}
		fmt.Fprintf(w, "\r[%s%s] %d/%d %-30s", strings.Repeat("#", n), strings.Repeat(".", width-n), p.Done, p.Total, name)
		if p.Done == p.Total {
			fmt.Fprint(w, "\r\033[K")
		}
	}
}

// baseModelIDs are the trainable base models' ids, in display order.
func baseModelIDs() []string {
	var ids []string
	for _, m := range studio.BaseModels() {
		ids = append(ids, m.ID)
	}
	return ids
}
