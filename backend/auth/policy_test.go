package auth_test

import (
	"strings"
	"testing"

	"github.com/promptforge/lorastudio/backend/auth"
	"github.com/promptforge/lorastudio/internal/studio"
)

func TestPasswordPolicy(t *testing.T) {
	const email = "jane.doe@example.com"
	tests := []struct {
		name, password string
		ok             bool
	}{
		{"a passphrase", "correct horse battery", true},
		{"8 characters", "x7#kQ!2m", true},
		{"64 characters", strings.Repeat("abcdefgh", 8), true},
		{"256 characters", strings.Repeat("abcd", 64), true},
		{"emoji count as one each", "🐈🐕🐇🐢🐍🦜🐝🦋", true},
		{"spaces inside are fine", "my cat is called ada", true},
		{"the email inside a long passphrase", "jane.doe@example.com likes long walks", true},
		{"7 characters", "x7#kQ!2", false},
		{"257 characters", strings.Repeat("abcd", 64) + "e", false},
		{"expands past 256 under NFKC", strings.Repeat("\ufdfa", 15), false}, // one code point, 18 after NFKC
		{"ten spaces", strings.Repeat(" ", 10), false},
		{"ten ideographic spaces", strings.Repeat("\u3000", 10), false},
		{"ten NULs", strings.Repeat("\x00", 10), false},
		{"a NUL inside", "correct\x00horse", false},
		{"a tab inside", "correct\thorse", false},
		{"a newline inside", "correct horse\n", false},
		{"one character repeated", "aaaaaaaaaaaa", false},
		{"two characters repeated", "abababababab", false},
		{"a common password", "password", false},
		{"a common password, capitalised", "Password1", false},
		{"a common password, full-width", "ｐａｓｓｗｏｒｄ", false}, // NFKC folds it to ASCII
		{"a common password", "qwertyuiop", false},
		{"the email", email, false},
		{"the email, capitalised", "Jane.Doe@Example.com", false},
		{"the local part", "jane.doe", false},
		{"the local part and digits", "jane.doe2024", false},
		{"the service", "lorastudio", false},
		{"the company and a digit", "PromptForge1", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := auth.CheckPasswordPolicy(tt.password, email)
			if (err == nil) != tt.ok {
				t.Fatalf("got %v, want ok=%v", err, tt.ok)
			}
			if err != nil && (studio.ErrorCode(err) != "weak_password" || studio.ErrorMessage(err) == "") {
				t.Errorf("got %v, want weak_password with a message", err)
			}
		})
	}
}

func TestNormalizePassword(t *testing.T) {
	// é composed and decomposed, and full-width digits, are one password.
	if a, b := auth.NormalizePassword("caf\u00e9 ２０２６"), auth.NormalizePassword("cafe\u0301 2026"); a != b {
		t.Errorf("got %q and %q, want one form", a, b)
	}
}

func TestNormalizeEmail(t *testing.T) {
	tests := []struct{ in, want string }{
		{"user@example.com", "user@example.com"},
		{"  User@Example.COM ", "user@example.com"},
		{"ｕｓｅｒ@ｅｘａｍｐｌｅ.ｃｏｍ", "user@example.com"}, // full-width folds
		{"first.last+tag@example.com", "first.last+tag@example.com"},
		{"josé@example.com", "josé@example.com"},
		{"jose\u0301@example.com", "josé@example.com"}, // decomposed é composes
		{"user@example.com\u200b", ""},                 // zero-width space
		{"us\u200cer@example.com", ""},                 // zero-width non-joiner
		{"us\u200der@example.com", ""},                 // zero-width joiner
		{"user\u2060@example.com", ""},                 // word joiner
		{"\ufeffuser@example.com", ""},                 // BOM
		{"user@exam\u202eple.com", ""},                 // right-to-left override
		{"user@example.com\u200f", ""},                 // right-to-left mark
		{"user\u2066@example.com", ""},                 // left-to-right isolate
		{"user\x00@example.com", ""},
		{"user\n@example.com", ""},
		{"us er@example.com", ""},
		{"user@localhost", ""},
		{"user@", ""},
		{"@example.com", ""},
		{"user@example..com", ""},
		{strings.Repeat("a", 65) + "@example.com", ""},
	}
	for _, tt := range tests {
		got, err := auth.NormalizeEmail(tt.in)
		if tt.want == "" {
			if err == nil || studio.ErrorCode(err) != "invalid_email" {
				t.Errorf("NormalizeEmail(%q): got %q, %v; want invalid_email", tt.in, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("NormalizeEmail(%q): got %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}
