package studio

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// CheckText returns an EInvalidText error naming field when s holds a
// character that a stored or displayed name must not: invalid UTF-8, a C0
// or C1 control or DEL (tab, newline and carriage return only when
// multiline), or a Unicode format character (BadFormatChar).
func CheckText(field, s string, multiline bool) error {
	if !utf8.ValidString(s) {
		return Errorf(EInvalidText, "%s is not valid UTF-8; send it as UTF-8 text", field)
	}
	for _, r := range s {
		if multiline && (r == '\t' || r == '\n' || r == '\r') {
			continue
		}
		if unicode.IsControl(r) || BadFormatChar(r) {
			return Errorf(EInvalidText, "%s contains the invisible character %U; remove control and formatting characters from it", field, r)
		}
	}
	return nil
}

// BadFormatChar reports whether r is a Unicode format character (Cf: bidi
// overrides and isolates, zero-width spaces, the BOM...) other than the
// joiners that scripts and emoji need: ZWNJ, ZWJ and the emoji tag
// characters of subdivision flags.
func BadFormatChar(r rune) bool {
	if !unicode.Is(unicode.Cf, r) {
		return false
	}
	return !(r == '\u200c' || r == '\u200d' || (r >= 0xe0020 && r <= 0xe007f))
}

// CleanText makes text from outside (a trainer's error, a provider's
// message) safe to store and show: invalid UTF-8 becomes U+FFFD, control
// characters but newline and tab become a space, bad format characters are
// dropped, and the result is cut to at most max bytes on a rune boundary,
// with "…" when it was cut.
func CleanText(s string, max int) string {
	s = strings.ToValidUTF8(s, "\ufffd")
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\t':
			return r
		case unicode.IsControl(r):
			return ' '
		case BadFormatChar(r):
			return -1
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if len(s) <= max {
		return s
	}
	const ell = "…"
	cut := max - len(ell)
	if cut < 0 {
		return ""
	}
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + ell
}
