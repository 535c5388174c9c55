package auth

import (
	_ "embed"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/promptforge/lorastudio/internal/studio"
)

// Password length, counted in code points after NFKC normalisation (NIST SP
// 800-63B: at least 8, allow at least 64).
const (
	MinPasswordLen = 8
	MaxPasswordLen = 256
)

// contextWords are names of this service a password must not be built on.
var contextWords = []string{"lorastudio", "promptforge"}

// commonPasswords is the blocklist: see the header of the file for where it
// comes from and its license (MIT).
//
//go:embed common-passwords.txt
var commonPasswordsFile string

var commonPasswords = func() map[string]struct{} {
	m := map[string]struct{}{}
	for _, line := range strings.Split(commonPasswordsFile, "\n") {
		if line != "" && !strings.HasPrefix(line, "#") {
			m[line] = struct{}{}
		}
	}
	return m
}()

// NormalizePassword returns password in the form it is hashed and checked
// in: Unicode NFKC, so the same password typed on two keyboards (composed
// or decomposed accents, full-width digits) is one password.
func NormalizePassword(password string) string { return norm.NFKC.String(password) }

// CheckPasswordPolicy reports whether password (before normalisation) may be
// chosen by the account with the given email, following NIST SP 800-63B:
// length, no control characters, not only spaces, not one of the most
// common passwords, not built on the email or the service's name. Returns a
// "weak_password" error that says what to change.
func CheckPasswordPolicy(password, email string) error {
	weak := func(msg string) error { return studio.Errorf(studio.EWeakPassword, "%s", msg) }
	p := NormalizePassword(password)
	for _, r := range p {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return weak("the password contains a control character (such as NUL, tab or a line break); remove it")
		}
	}
	n := utf8.RuneCountInString(p)
	switch {
	case n < MinPasswordLen:
		return weak("choose a password of at least 8 characters")
	case n > MaxPasswordLen:
		return weak("choose a password of at most 256 characters")
	case strings.TrimFunc(p, unicode.IsSpace) == "":
		return weak("a password of only spaces is easy to guess; choose one with other characters")
	case distinct(p) < 3:
		return weak("the password repeats one or two characters; choose one with more variety")
	}
	lower := strings.ToLower(p)
	if _, ok := commonPasswords[lower]; ok {
		return weak("this is one of the most common passwords; choose another")
	}
	words := append([]string{strings.ToLower(email)}, contextWords...)
	if local, _, ok := strings.Cut(strings.ToLower(email), "@"); ok {
		words = append(words, local)
	}
	for _, w := range words {
		// A password that is mostly the word: what is left would be too
		// short on its own.
		if utf8.RuneCountInString(w) >= 3 && strings.Contains(lower, w) &&
			utf8.RuneCountInString(strings.ReplaceAll(lower, w, "")) < MinPasswordLen {
			return weak("the password is built on your email or the service's name; choose one unrelated to them")
		}
	}
	return nil
}

func distinct(s string) int {
	seen := map[rune]bool{}
	for _, r := range s {
		seen[r] = true
	}
	return len(seen)
}
