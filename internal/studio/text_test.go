package studio_test

import (
	"strings"
	"testing"

	"github.com/promptforge/lorastudio/internal/studio"
)

func TestCheckText(t *testing.T) {
	tests := []struct {
		in        string
		multiline bool
		ok        bool
	}{
		{"Zoë Ünal", false, true},
		{"👩‍💻 dev", false, true}, // ZWJ sequence
		{"कार्य", false, true},   // a virama, no joiner needed
		{"a\x00b", false, false},
		{"a\tb", false, false},
		{"a\tb\nc\r\n", true, true},
		{"a\x00b", true, false},
		{"a\x7fb", false, false},
		{"a\u0085b", false, false}, // C1
		{"a\u202eb", false, false}, // bidi override
		{"a\u2066b", false, false}, // bidi isolate
		{"a\u200bb", false, false}, // zero-width space
		{"a\ufeffb", false, false}, // BOM
		{"a\xffb", false, false},   // invalid UTF-8
	}
	for _, tt := range tests {
		err := studio.CheckText("name", tt.in, tt.multiline)
		if (err == nil) != tt.ok {
			t.Errorf("CheckText(%q, multiline %v): got %v, want ok %v", tt.in, tt.multiline, err, tt.ok)
		}
		if err != nil && (studio.ErrorCode(err) != studio.EInvalidText || !strings.HasPrefix(studio.ErrorMessage(err), "name ")) {
			t.Errorf("CheckText(%q): got %v, want invalid_text naming the field", tt.in, err)
		}
	}
}

func TestCleanText(t *testing.T) {
	tests := []struct {
		in   string
		max  int
		want string
	}{
		{"plain", 10, "plain"},
		{"  out of memory\x00 at\x1b[0m step 3\r\n", 100, "out of memory  at [0m step 3"},
		{"line one\nline\ttwo", 100, "line one\nline\ttwo"},
		{"a\u202eb\u200bc", 100, "abc"},
		{"bad \xff byte", 100, "bad \ufffd byte"},
		{"ééééé", 7, "éé…"}, // cut on a rune boundary, the ellipsis included
		{"abcdef", 3, "…"},
	}
	for _, tt := range tests {
		if got := studio.CleanText(tt.in, tt.max); got != tt.want || len(got) > tt.max {
			t.Errorf("CleanText(%q, %d): got %q, want %q", tt.in, tt.max, got, tt.want)
		}
	}
}
