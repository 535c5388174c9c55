package auth

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/promptforge/lorastudio/internal/studio"
)

// NormalizeEmail returns the one form an email address is stored and looked
// up in: NFKC, trimmed, lower-cased. The local part is lower-cased too: the
// users table has always matched emails case-insensitively (its unique index
// is on lower(email)), so case never told two accounts apart; dots and
// "+tags" are kept, since only some providers ignore them.
//
// Returns "invalid_email" for an address with invisible characters (zero
// width spaces and joiners, word joiner, BOM, direction marks and
// overrides, any other format or control character) or spaces, so that
// "user@example.com" followed by U+200B is refused rather than becoming a
// second account, and for an address that is not local@domain.
func NormalizeEmail(email string) (string, error) {
	bad := func(msg string) (string, error) { return "", studio.Errorf(studio.EInvalidEmail, "%s", msg) }
	for _, r := range email {
		if r == utf8.RuneError || unicode.In(r, unicode.Cc, unicode.Cf) {
			return bad("the email contains an invisible or control character (such as a zero-width space); type it again by hand")
		}
	}
	e := strings.TrimSpace(norm.NFKC.String(email))
	e = norm.NFKC.String(strings.ToLower(e))
	if strings.IndexFunc(e, unicode.IsSpace) >= 0 {
		return bad("the email contains a space; remove it")
	}
	at := strings.LastIndexByte(e, '@')
	if at < 1 || at == len(e)-1 || len(e) > 254 || at > 64 {
		return bad("enter an email address such as name@example.com")
	}
	domain := e[at+1:]
	if !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") || strings.Contains(domain, "..") {
		return bad("the part after @ is not a domain; enter an email address such as name@example.com")
	}
	return e, nil
}
