package main

import (
	"fmt"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/disintegration/imaging"

	"github.com/promptforge/lorastudio/internal/charpack"
)

// faceDataset writes variants of a public-domain portrait (mirrored,
// re-lit, re-framed) into a temp dir: real faces, so the dataset engine
// finds them, without depending on /work/shared.
func faceDataset(t *testing.T) string {
	t.Helper()
	src, err := imaging.Open(filepath.Join("testdata", "pack", "grace_hopper_512x512.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	big := imaging.Resize(src, 640, 640, imaging.Lanczos)
	variants := []image.Image{
		big,
		imaging.FlipH(big),
		imaging.AdjustBrightness(big, 8),
		imaging.AdjustContrast(imaging.FlipH(big), 10),
		imaging.AdjustGamma(big, 1.2),
	}
	dir := t.TempDir()
	for i, img := range variants {
		if err := imaging.Save(img, filepath.Join(dir, fmt.Sprintf("me_%d.jpg", i)), imaging.JPEGQuality(92)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestPackCommand(t *testing.T) {
	dir := faceDataset(t)
	out := t.TempDir()
	args := func(platform, name string) []string {
		return []string{"pack", "--platform", platform, "--dataset", dir, "--prompt", "walks along a harbour at dusk",
			"--identity", "grace", "--version", "1", "--describe", "a woman with short grey hair", "--out", filepath.Join(out, name)}
	}
	for _, tt := range []struct {
		platform string
		maxRefs  int
	}{{"veo-3.1", 3}, {"grok-3", 7}, {"sora-2-pro-max", 1}} {
		t.Run(tt.platform, func(t *testing.T) {
			a, b := tt.platform+"-a.zip", tt.platform+"-b.zip"
			code, stdout, stderr := runCLI(t, args(tt.platform, a)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			first, err := os.ReadFile(filepath.Join(out, a))
			if err != nil {
				t.Fatal(err)
			}
			if code, _, stderr := runCLI(t, args(tt.platform, b)...); code != 0 {
				t.Fatalf("second run: exit %d: %s", code, stderr)
			}
			second, _ := os.ReadFile(filepath.Join(out, b))
			if string(first) != string(second) {
				t.Error("two runs wrote different packs")
			}
			pack, err := charpack.ReadFile(filepath.Join(out, a))
			if err != nil {
				t.Fatal(err)
			}
			n := len(pack.Manifest.References)
			if n == 0 || n > tt.maxRefs {
				t.Errorf("got %d references, want 1 to %d", n, tt.maxRefs)
			}
			if !strings.HasPrefix(pack.Manifest.DatasetHash, "sha256:") || pack.Manifest.Identity.Name != "grace" {
				t.Errorf("manifest %+v", pack.Manifest)
			}
			if want := fmt.Sprintf(", %s,", plural(n, "reference image")); !strings.Contains(stdout, want) || strings.Contains(stdout, " 1 reference images") {
				t.Errorf("stdout %q does not say %q", stdout, want)
			}
			if !strings.Contains(stdout, "sha256") {
				t.Errorf("stdout %q does not give the pack's sha256", stdout)
			}
		})
	}

	noFaces := t.TempDir()
	img := imaging.New(600, 600, color.NRGBA{90, 120, 200, 255})
	if err := imaging.Save(img, filepath.Join(noFaces, "sky.jpg")); err != nil {
		t.Fatal(err)
	}
	folderZip := filepath.Join(out, "folder.zip")
	if err := os.Mkdir(folderZip, 0o755); err != nil {
		t.Fatal(err)
	}
	errTests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"lora pipeline without --lora", args("flux-dev", "x.zip"), 2, "--lora FILE.safetensors is required"},
		{"unknown platform", args("sora-3", "x.zip"), 1, "unknown_platform"},
		{"no usable photo", []string{"pack", "--platform", "veo-3.1", "--dataset", noFaces, "--prompt", "x", "--out", filepath.Join(out, "x.zip")}, 1, "no_references"},
		{"no such folder", []string{"pack", "--platform", "veo-3.1", "--dataset", filepath.Join(out, "nope"), "--prompt", "x", "--out", filepath.Join(out, "x.zip")}, 1, "not_found"},
		{"out is a folder", []string{"pack", "--platform", "grok-3", "--dataset", dir, "--prompt", "x", "--out", folderZip}, 1, "is a folder"},
		{"missing out", []string{"pack", "--platform", "veo-3.1", "--dataset", dir, "--prompt", "x"}, 2, "required"},
	}
	for _, tt := range errTests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, tt.args...)
			if code != tt.code || !strings.Contains(stderr, tt.stderr) {
				t.Errorf("got exit %d %q, want %d with %q", code, stderr, tt.code, tt.stderr)
			}
			if _, err := os.Stat(filepath.Join(out, "x.zip")); err == nil {
				t.Error("a failed pack left a file behind")
			}
		})
	}
	// No temp files left next to the packs.
	entries, _ := os.ReadDir(out)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".lorastudio-pack-") {
			t.Errorf("left %s behind", e.Name())
		}
	}
}
