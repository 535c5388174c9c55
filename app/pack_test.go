package app_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/promptforge/lorastudio/app"
	"github.com/promptforge/lorastudio/internal/charpack"
	"github.com/promptforge/lorastudio/internal/compiler"
	"github.com/promptforge/lorastudio/internal/consent"
	"github.com/promptforge/lorastudio/internal/studio"
)

func TestExportPack(t *testing.T) {
	a, _ := newApp(t, t.TempDir())
	req := compiler.Request{Platform: "grok-3", Prompt: compiler.Prompt{Text: "walks on a beach"}, Identity: compiler.Identity{Name: "me", Describe: "dark hair"}}
	out := filepath.Join(t.TempDir(), "pack")
	if _, err := a.Compile.ExportPackTo(req, out); err == nil || !strings.HasPrefix(err.Error(), studio.EDatasetNotValidated+": ") {
		t.Fatalf("export before validation: got %v", err)
	}
	a.Consent.GiveConsent(consent.Current.Version, true)
	a.Dataset.ImportFiles([]string{person})
	a.Dataset.ValidateDataset(app.ValidateOptions{MinResolution: 256})

	got, err := a.Compile.ExportPackTo(req, out)
	if err != nil {
		t.Fatal(err)
	}
	if got.Path != out+".zip" || got.References != 7 || len(got.SHA256) != 64 {
		t.Fatalf("export: %+v; want %s.zip with Grok's 7 references", got, out)
	}
	pack, err := charpack.ReadFile(got.Path) // verifies every sha256 in the manifest
	if err != nil {
		t.Fatal(err)
	}
	if pack.Manifest.Platform != "grok-3" {
		t.Errorf("manifest platform %q", pack.Manifest.Platform)
	}
	again, _ := a.Compile.ExportPackTo(req, filepath.Join(t.TempDir(), "again.zip"))
	if again.SHA256 != got.SHA256 {
		t.Errorf("two exports differ: %s vs %s", again.SHA256, got.SHA256)
	}
	// A pipeline loads the LoRA itself: no pack.
	if _, err := a.Compile.ExportPackTo(compiler.Request{Platform: "flux-dev", Prompt: compiler.Prompt{Text: "x"}}, out); err == nil {
		t.Error("a pack was written for a LoRA pipeline")
	}
	// The dialog canceled: nothing written, no error.
	if e, err := a.Compile.ExportPack(req); err != nil || e.Path != "" {
		t.Errorf("canceled dialog: %+v, %v", e, err)
	}
}
