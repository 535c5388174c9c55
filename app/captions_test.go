package app_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/promptforge/lorastudio/app"
	"github.com/promptforge/lorastudio/backend/training"
	"github.com/promptforge/lorastudio/internal/consent"
	"github.com/promptforge/lorastudio/internal/dataset"
	"github.com/promptforge/lorastudio/internal/studio"
)

// Captions on this computer, before any server: checked with Go's rule,
// kept across a restart, covered by the validation's hash, and a change
// after validation rehashes without making the dataset a draft again.
func TestCaptionsBeforeUpload(t *testing.T) {
	if app.DefaultCaptionTemplate != training.DefaultCaptionTemplate {
		t.Fatalf("the app's template %q is not the server presets' %q", app.DefaultCaptionTemplate, training.DefaultCaptionTemplate)
	}
	dir := t.TempDir()
	a, _ := newApp(t, dir)
	a.Consent.GiveConsent(consent.Current.Version, true)
	if _, err := a.Dataset.ImportFiles([]string{person}); err != nil {
		t.Fatal(err)
	}
	items, _ := a.Dataset.DatasetItems()
	beach := "a photo of {trigger} person laughing at the beach"
	tests := []struct {
		name, caption, code string
	}{
		{"no trigger", "a photo of me at the beach", studio.EInvalidCaption},
		{"two lines", "{trigger}\nat the beach", studio.EInvalidText},
		{"too long", strings.Repeat("x", studio.MaxCaption) + "{trigger}", studio.EInvalidCaption},
		{"names the person", beach, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			it, err := a.Dataset.SetCaption(items[0].ID, tt.caption)
			if tt.code != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.code+": ") {
					t.Fatalf("SetCaption(%q): %v, want %s", tt.caption, err, tt.code)
				}
				return
			}
			if err != nil || it.Caption != tt.caption || it.CaptionSource != studio.CaptionUser {
				t.Fatalf("SetCaption(%q): %+v, %v", tt.caption, it, err)
			}
		})
	}
	if _, err := a.Dataset.SetCaption("no-such-photo", beach); err == nil || !strings.HasPrefix(err.Error(), "not_found: ") {
		t.Errorf("unknown photo: %v", err)
	}
	// Signed out: no suggestions, and nothing about captions stops training.
	if _, err := a.Dataset.SuggestCaptions(false); err == nil || !strings.HasPrefix(err.Error(), "unauthorized: ") {
		t.Errorf("suggestions signed out: %v, want unauthorized", err)
	}
	st, err := a.Dataset.Captions()
	if err != nil || st.Uploaded || st.Suggested != 0 || st.Unsent != 0 || !st.Ready.Allowed || st.Template != app.DefaultCaptionTemplate {
		t.Errorf("captions signed out: %+v, %v", st, err)
	}

	// After a restart the caption is there; the validation hashes it.
	app.Shutdown(a)(t.Context())
	b, _ := newApp(t, dir)
	items, _ = b.Dataset.DatasetItems()
	if items[0].Caption != beach {
		t.Fatalf("after restart: %q, want %q", items[0].Caption, beach)
	}
	rep, err := b.Dataset.ValidateDataset(app.ValidateOptions{MinResolution: 256})
	if err != nil || !rep.OK {
		t.Fatalf("validate: %v", err)
	}
	if want := hashOf(rep, map[string]string{items[0].Name: beach}); rep.DatasetHash != want {
		t.Errorf("the report's hash %s does not cover the caption (want %s)", rep.DatasetHash, want)
	}
	if _, err := b.Dataset.SetCaption(items[1].ID, "{trigger} in a red coat"); err != nil {
		t.Fatal(err)
	}
	ds, err := b.Dataset.Dataset()
	if err != nil || ds.Status != studio.DatasetValidated || ds.CaptionTemplate != app.DefaultCaptionTemplate {
		t.Fatalf("after a caption edit: status %s, %v; want still validated", ds.Status, err)
	}
	var after dataset.Report
	if err := json.Unmarshal(ds.Report, &after); err != nil {
		t.Fatal(err)
	}
	want := hashOf(rep, map[string]string{items[0].Name: beach, items[1].Name: "{trigger} in a red coat"})
	if after.DatasetHash != want {
		t.Errorf("hash after the edit %s, want %s", after.DatasetHash, want)
	}
	// Validating again gives the same hash: the two ways agree.
	again, _ := b.Dataset.ValidateDataset(app.ValidateOptions{MinResolution: 256})
	if again.DatasetHash != want {
		t.Errorf("validation after the edit: %s, want %s", again.DatasetHash, want)
	}
}

func hashOf(rep *dataset.Report, captions map[string]string) string {
	var hs []studio.HashItem
	for _, it := range rep.Items {
		hs = append(hs, studio.HashItem{SHA256: it.SHA256, Caption: captions[it.File]})
	}
	return studio.DatasetHash(hs)
}
