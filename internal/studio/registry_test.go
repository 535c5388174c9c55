package studio_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/promptforge/lorastudio/internal/studio"
)

func TestRegistriesAreDisjoint(t *testing.T) {
	for _, p := range studio.Platforms() {
		if studio.IsTrainable(p.ID) {
			t.Errorf("target platform %q is trainable; platforms never train a LoRA", p.ID)
		}
	}
	want := []string{"flux-dev", "flux-schnell", "sdxl", "flux-2-dev", "flux-2-klein-9b", "flux-2-klein-4b", "qwen-image", "z-image", "z-image-turbo", "wan-2.2"}
	got := studio.BaseModels()
	if len(got) != len(want) {
		t.Fatalf("got %d base models, want %d", len(got), len(want))
	}
	for i, m := range got {
		if m.ID != want[i] {
			t.Errorf("base model %d: got %q, want %q", i, m.ID, want[i])
		}
	}
}

func TestLookup(t *testing.T) {
	tests := []struct {
		id       string
		platform bool
		wantErr  string
	}{
		{"sora-2-pro-max", true, ""},
		{"grok-3", true, ""},
		{"veo-3.1-fast", true, ""},
		{"flux-dev", true, "unknown_platform"},
		{"flux-dev", false, ""},
		{"sdxl", false, ""},
		{"wan-2.2", false, ""},
		{"flux-2-klein-4b", false, ""},
		{"wan-2.2", true, "unknown_platform"},
		{"sora-2", false, "unknown_base_model"},
		{"", false, "unknown_base_model"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%v", tt.id, tt.platform), func(t *testing.T) {
			var err error
			if tt.platform {
				_, err = studio.LookupPlatform(tt.id)
			} else {
				_, err = studio.LookupBaseModel(tt.id)
			}
			if got := studio.ErrorCode(err); got != tt.wantErr {
				t.Errorf("got code %q, want %q (err %v)", got, tt.wantErr, err)
			}
		})
	}
}

func TestErrorCode(t *testing.T) {
	wrapped := fmt.Errorf("store: %w", studio.Errorf(studio.ENotFound, "no dataset %s", "x"))
	tests := []struct {
		err     error
		code    string
		message string
	}{
		{nil, "", ""},
		{errors.New("disk on fire"), studio.EInternal, "internal error"},
		{wrapped, studio.ENotFound, "no dataset x"},
	}
	for _, tt := range tests {
		if got := studio.ErrorCode(tt.err); got != tt.code {
			t.Errorf("ErrorCode(%v): got %q, want %q", tt.err, got, tt.code)
		}
		if got := studio.ErrorMessage(tt.err); got != tt.message {
			t.Errorf("ErrorMessage(%v): got %q, want %q", tt.err, got, tt.message)
		}
	}
}

func TestJobCanMove(t *testing.T) {
	tests := []struct {
		from, to string
		want     bool
	}{
		{"queued", "dispatched", true},
		{"queued", "running", true},
		{"running", "running", true},
		{"running", "succeeded", true},
		{"dispatched", "queued", false},
		{"succeeded", "running", false},
		{"failed", "succeeded", false},
		{"canceled", "succeeded", false},
		{"running", "bogus", false},
	}
	for _, tt := range tests {
		if got := studio.JobCanMove(tt.from, tt.to); got != tt.want {
			t.Errorf("JobCanMove(%s, %s): got %v, want %v", tt.from, tt.to, got, tt.want)
		}
	}
}

func TestCodeOfStatus(t *testing.T) {
	tests := []struct {
		status int
		want   string
	}{
		{400, studio.EInvalid}, {422, studio.EInvalid}, {401, studio.EUnauthorized}, {403, studio.EForbidden},
		{404, studio.ENotFound}, {409, studio.EConflict}, {413, studio.ETooLarge}, {429, studio.ERateLimited},
		{502, studio.EUnavailable}, {503, studio.EUnavailable}, {500, studio.EInternal}, {418, studio.EInvalid},
	}
	for _, tt := range tests {
		if got := studio.CodeOfStatus(tt.status); got != tt.want {
			t.Errorf("CodeOfStatus(%d): got %q, want %q", tt.status, got, tt.want)
		}
	}
}
