// Package consent holds the consent text users agree to before any photo of
// their face is uploaded or trained on, in each language it is offered in,
// each with its own version and hash. The desktop shows the same bytes the
// backend records the hash of.
package consent

import (
	"cmp"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
)

// The languages the text is offered in, as BCP 47 tags.
const (
	English             = "en"
	BrazilianPortuguese = "pt-BR"
	// DefaultLanguage is the language given when none is asked for, or
	// none asked for is offered.
	DefaultLanguage = English
)

// The texts of earlier editions stay in text/ (v1: 2026-11-01), so the
// text a recorded consent's version and hash name can always be read.
var (
	//go:embed text/v2.md
	v2 string
	//go:embed text/v2.pt-BR.md
	v2ptBR string
)

// Text is one version of the consent text, in one language.
type Text struct {
	Version  string `json:"version"`  // identifies the text, and so its language
	Language string `json:"language"` // BCP 47 tag of Text
	Text     string `json:"text"`
	SHA256   string `json:"sha256"` // hex of the UTF-8 bytes of Text
	// Purpose is the purpose of the processing as recorded with a consent:
	// the same words whatever language the user read.
	Purpose string `json:"purpose"`
	// Attestation is the statement, in Language, the user ticks to consent
	// (attest_self): every photo shows them, and they are an adult.
	Attestation string `json:"attestation"`
}

const purpose = "train LoRA versions of the user's own face and build Character Packs"

// inForce are the texts in force, one per language, the default first.
// They are translations of one another and promise the same things (the
// package's tests hold them to it). A new edition is a new file per
// language and a new Version for each; consents given to an older one are
// outdated.
var inForce = []Text{
	newText("2026-12-01", English, v2, "Every photo I add shows me, and I am an adult."),
	newText("2026-12-01.pt-BR", BrazilianPortuguese, v2ptBR, "Todas as fotos que eu adicionar são de mim, e sou maior de idade."),
}

// Current is the text in force in the default language (English).
var Current = inForce[0]

func newText(version, lang, text, attestation string) Text {
	h := sha256.Sum256([]byte(text))
	return Text{Version: version, Language: lang, Text: text, SHA256: hex.EncodeToString(h[:]), Purpose: purpose, Attestation: attestation}
}

// InForce returns the texts in force, one per language, the default first.
func InForce() []Text {
	return slices.Clone(inForce)
}

// Languages returns the languages the text is offered in, the default
// first.
func Languages() []string {
	langs := make([]string, len(inForce))
	for i, t := range inForce {
		langs[i] = t.Language
	}
	return langs
}

// In returns the text in force in the language lang names, as Match finds
// it; the default language's when none is offered in it.
func In(lang string) Text {
	if l, ok := Match(lang); ok {
		lang = l
	}
	for _, t := range inForce {
		if t.Language == lang {
			return t
		}
	}
	return Current
}

// ByVersion returns the text in force whose version is version; false when
// no text in force has it (an older edition, or none).
func ByVersion(version string) (Text, bool) {
	for _, t := range inForce {
		if t.Version == version {
			return t, true
		}
	}
	return Text{}, false
}

// Match returns the language offered that the tag asks for: the one it
// names (case aside, "_" read as "-"), else the first whose primary
// language is the tag's ("pt" and "pt-PT" get "pt-BR", "en-GB" gets "en").
// False for an empty tag, "*", or a language not offered.
func Match(tag string) (string, bool) {
	tag = strings.ReplaceAll(strings.TrimSpace(tag), "_", "-")
	if tag == "" || tag == "*" {
		return "", false
	}
	for _, t := range inForce {
		if strings.EqualFold(t.Language, tag) {
			return t.Language, true
		}
	}
	primary, _, _ := strings.Cut(tag, "-")
	for _, t := range inForce {
		if p, _, _ := strings.Cut(t.Language, "-"); strings.EqualFold(p, primary) {
			return t.Language, true
		}
	}
	return "", false
}

// maxRanges bounds how many language ranges of an Accept-Language header
// are read.
const maxRanges = 32

// MatchAcceptLanguage returns the language offered that an HTTP
// Accept-Language header (RFC 9110 section 12.5.4) prefers: its ranges in
// order of weight (q), the first that Match finds. Ranges with q=0 or a
// malformed weight are skipped; false when no range matches.
func MatchAcceptLanguage(header string) (string, bool) {
	type weighted struct {
		tag string
		q   float64
	}
	var ranges []weighted
	for i, r := range strings.Split(header, ",") {
		if i == maxRanges {
			break
		}
		tag, params, _ := strings.Cut(r, ";")
		q := 1.0
		if params = strings.TrimSpace(params); params != "" {
			v, ok := strings.CutPrefix(strings.ToLower(params), "q=")
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if !ok || err != nil || f < 0 || f > 1 {
				continue
			}
			q = f
		}
		if q > 0 {
			ranges = append(ranges, weighted{tag, q})
		}
	}
	slices.SortStableFunc(ranges, func(a, b weighted) int { return cmp.Compare(b.q, a.q) })
	for _, r := range ranges {
		if lang, ok := Match(r.tag); ok {
			return lang, true
		}
	}
	return "", false
}
