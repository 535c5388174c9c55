package worker_test

import (
	"testing"

	"github.com/promptforge/lorastudio/internal/worker"
)

func TestTriggerPhrase(t *testing.T) {
	tests := []struct{ word, template, want string }{
		{"ohwx", "a photo of {trigger} person", "ohwx person"},
		{"zkw", "{trigger} woman, smiling", "zkw woman"},
		{"zkw", "portrait of {trigger}.", "zkw"},
		{"zkw", "portrait of {trigger}, studio light", "zkw"},
		{"zkw", "", "zkw"},
		{"", "a photo of {trigger} person", ""},
	}
	for _, tt := range tests {
		got := worker.Params{TriggerWord: tt.word, CaptionTemplate: tt.template}.TriggerPhrase()
		if got != tt.want {
			t.Errorf("TriggerPhrase(%q, %q) = %q, want %q", tt.word, tt.template, got, tt.want)
		}
	}
}
