package consent_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/promptforge/lorastudio/internal/consent"
	"github.com/promptforge/lorastudio/internal/dataset"
)

// The texts consents are given to, by version: changing a text's bytes
// would outdate every consent to it, so a change is a new version, never an
// edit.
var pinned = map[string]struct{ lang, sha256 string }{
	"2026-12-01":       {consent.English, "e1af7d0f8aa5297f54ad519569ab199f16928eeef2f9d4291f97015a7d5f8528"},
	"2026-12-01.pt-BR": {consent.BrazilianPortuguese, "163ea86126ef341fb35bcbaa0be60bc8b93641fe1e521aa9d9d92bbd1b7eeb74"},
}

func TestTextsInForce(t *testing.T) {
	texts := consent.InForce()
	if got, want := consent.Languages(), []string{consent.English, consent.BrazilianPortuguese}; !slices.Equal(got, want) {
		t.Fatalf("languages: got %v, want %v", got, want)
	}
	if consent.Current != texts[0] || consent.Current.Language != consent.DefaultLanguage {
		t.Errorf("Current is %s (%s), want the default language's text first", consent.Current.Version, consent.Current.Language)
	}
	versions, hashes := map[string]bool{}, map[string]bool{}
	for _, c := range texts {
		h := sha256.Sum256([]byte(c.Text))
		if got := hex.EncodeToString(h[:]); got != c.SHA256 {
			t.Errorf("%s: sha256 %s, want %s of its text", c.Version, c.SHA256, got)
		}
		if versions[c.Version] || hashes[c.SHA256] {
			t.Errorf("%s (%s): version or hash shared with another text; each language is its own text", c.Version, c.Language)
		}
		versions[c.Version], hashes[c.SHA256] = true, true
		if p, ok := pinned[c.Version]; !ok || p.lang != c.Language || p.sha256 != c.SHA256 {
			t.Errorf("%s: %s %s, want as pinned %+v: a text in force keeps its bytes; a change is a new version", c.Version, c.Language, c.SHA256, p)
		}
		if got, ok := consent.ByVersion(c.Version); !ok || got != c {
			t.Errorf("ByVersion(%s): got %s %v, want the %s text", c.Version, got.Language, ok, c.Language)
		}
		if got := consent.In(c.Language); got != c {
			t.Errorf("In(%s): got the %s text", c.Language, got.Language)
		}
		if c.Purpose != consent.Current.Purpose {
			t.Errorf("%s: purpose %q, want the one recorded for every language, %q", c.Language, c.Purpose, consent.Current.Purpose)
		}
	}
	if _, ok := consent.ByVersion("2025-01-01"); ok {
		t.Error("ByVersion found a version never in force")
	}
}

// promises are what the consent text promises, each in every language, in
// the same section, with where the code keeps the promise. A translation
// that drops or moves one fails here; one that adds a sentence or a number
// fails TestTranslationsHaveTheSameShape.
var promises = []struct {
	name    string
	section int // paragraph after the title: 0 the introduction, 1 "What is collected", ...
	phrases map[string][]string
	keptBy  string
}{
	{"face photos are biometric data", 0, map[string][]string{
		consent.English:             {"photos of you, which are biometric data", "Before you add a single photo"},
		consent.BrazilianPortuguese: {"fotos suas, que são dados biométricos", "Antes de você adicionar uma única foto"},
	}, "app requireConsent and api requireConsent: no photo without consent"},
	{"metadata stripped before upload", 1, map[string][]string{
		consent.English:             {"all metadata removed", "camera, date and GPS location are stripped before anything leaves your computer"},
		consent.BrazilianPortuguese: {"todos os metadados removidos", "câmera, data e localização GPS são apagados antes que qualquer coisa saia do seu computador"},
	}, "internal/dataset Strip (intake_test) before sync/upload sends a byte"},
	{"what is kept", 1, map[string][]string{
		consent.English:             {"at least 15, and 20 to 30 work best", "thumbnails", "a short caption for each photo that you can read and edit", "LoRA files trained from them"},
		consent.BrazilianPortuguese: {"no mínimo 15, e de 20 a 30 funcionam melhor", "miniaturas", "uma legenda curta para cada foto que você pode ler e editar", "arquivos LoRA treinados a partir delas"},
	}, "internal/dataset minimum and recommended counts; lora_dataset_items (caption), lora_versions; the desktop's caption editor (SetCaption)"},
	{"one purpose only", 2, map[string][]string{
		consent.English:             {"Only to train LoRA versions of your own face", "build Character Packs", "photos and captions are not used to train any other model, shared with anyone else, or sold"},
		consent.BrazilianPortuguese: {"Apenas para treinar versões LoRA do seu próprio rosto", "montar Character Packs", "fotos e as legendas não são usadas para treinar nenhum outro modelo, não são compartilhadas com mais ninguém e não são vendidas"},
	}, "the purpose recorded with every consent (Text.Purpose)"},
	{"only the user, an adult", 3, map[string][]string{
		consent.English:             {"every photo shows you", "you are an adult", "Photos of anyone else are not allowed"},
		consent.BrazilianPortuguese: {"todas as fotos mostram você", "você é maior de idade", "Não são permitidas fotos de nenhuma outra pessoa"},
	}, "attest_self required (attestation_required); the different_person check"},
	{"processors named at consent", 4, map[string][]string{
		consent.English:             {"storage provider", "GPU provider", "only when you ask for them, writes suggested captions", "Each is named when you give consent"},
		consent.BrazilianPortuguese: {"provedor de armazenamento", "provedor de GPU", "somente quando você pede, escreve legendas sugeridas", "Cada um deles é identificado pelo nome quando você dá o consentimento"},
	}, "processors recorded with the consent; a consent to others is outdated (api TestConsentToOtherProcessorsIsOutdated); auto-captioning only on the user's request (POST datasets/{id}/autocaption, the desktop's SuggestCaptions)"},
	{"kept for the retention period or until withdrawal", 5, map[string][]string{
		consent.English:             {"retention period shown when you give consent", "until you withdraw", "whichever comes first"},
		consent.BrazilianPortuguese: {"período de retenção exibido quando você dá o consentimento", "até você revogá-lo", "o que acontecer primeiro"},
	}, "pgstore Consent.Expires and backend/purge (api TestConsentStatusAfterRetentionExpiry, TestConsentLanguages)"},
	{"withdrawal erases and cancels", 6, map[string][]string{
		consent.English:             {"withdraw at any time in the app's Consent step", "as easily as you gave consent", "erases your photos, thumbnails, captions and trained files from storage and from the database", "cancels any training that is still running"},
		consent.BrazilianPortuguese: {"revogar o consentimento a qualquer momento na etapa Consentimento do app", "com a mesma facilidade com que o deu", "apaga suas fotos, miniaturas, legendas e arquivos treinados do armazenamento e do banco de dados", "cancela qualquer treinamento que ainda esteja em andamento"},
	}, "backend/erasure Eraser (captions live in the dataset's items and the version's snapshot), app WithdrawConsent, the Withdraw button of the Consent step (api TestConsentLanguages, the browser E2E)"},
}

// sections splits a text into its paragraphs after the title.
func sections(t *testing.T, text string) []string {
	t.Helper()
	title, body, ok := strings.Cut(text, "\n\n")
	if !ok || !strings.HasPrefix(title, "# ") {
		t.Fatalf("text does not open with a title line: %.40q", text)
	}
	return strings.Split(strings.TrimSuffix(body, "\n"), "\n\n")
}

// The statement the user ticks says, in each language, what attest_self
// records and the text asks them to confirm.
var attestations = map[string][]string{
	consent.English:             {"Every photo I add shows me", "I am an adult"},
	consent.BrazilianPortuguese: {"Todas as fotos que eu adicionar são de mim", "sou maior de idade"},
}

func TestAttestations(t *testing.T) {
	for _, c := range consent.InForce() {
		want, ok := attestations[c.Language]
		if !ok {
			t.Errorf("%s: no attestation wording to check", c.Language)
		}
		for _, w := range want {
			if !strings.Contains(c.Attestation, w) {
				t.Errorf("%s: attestation %q does not say %q", c.Language, c.Attestation, w)
			}
		}
		if n := len(sentenceEnd.FindAllString(c.Attestation, -1)); n != 1 {
			t.Errorf("%s: attestation %q is %d sentences, want one statement", c.Language, c.Attestation, n)
		}
	}
}

func TestTranslationsKeepEveryPromise(t *testing.T) {
	for _, c := range consent.InForce() {
		secs := sections(t, c.Text)
		for _, p := range promises {
			phrases, ok := p.phrases[c.Language]
			if !ok {
				t.Errorf("%s: promise %q has no wording in %s", c.Version, p.name, c.Language)
				continue
			}
			for _, ph := range phrases {
				if p.section >= len(secs) || !strings.Contains(secs[p.section], ph) {
					t.Errorf("%s (%s): section %d does not say %q (promise %q, kept by %s)", c.Version, c.Language, p.section, ph, p.name, p.keptBy)
				}
			}
		}
	}
}

var (
	sentenceEnd = regexp.MustCompile(`[.!?](\s|$)`)
	number      = regexp.MustCompile(`[0-9]+`)
	heading     = regexp.MustCompile(`^\*\*[^*]+\.\*\* `)
	// Names that stay as they are in every language.
	names = []string{"LoRA Studio", "LoRA", "Character Packs", "GPS", "GPU"}
)

// Each translation has the English text's shape: as many sections, each
// with a heading where it has one and as many sentences, and the same
// numbers and product names, so none promises more or less than another.
func TestTranslationsHaveTheSameShape(t *testing.T) {
	en := consent.Current
	enSecs := sections(t, en.Text)
	for _, c := range consent.InForce()[1:] {
		secs := sections(t, c.Text)
		if len(secs) != len(enSecs) {
			t.Fatalf("%s: %d sections, want %d as in English", c.Language, len(secs), len(enSecs))
		}
		for i := range secs {
			if got, want := heading.MatchString(secs[i]), heading.MatchString(enSecs[i]); got != want {
				t.Errorf("%s section %d: heading %v, want %v as in English", c.Language, i, got, want)
			}
			if got, want := len(sentenceEnd.FindAllString(secs[i], -1)), len(sentenceEnd.FindAllString(enSecs[i], -1)); got != want {
				t.Errorf("%s section %d: %d sentences, want %d as in English:\n%s", c.Language, i, got, want, secs[i])
			}
			if got, want := number.FindAllString(secs[i], -1), number.FindAllString(enSecs[i], -1); !slices.Equal(got, want) {
				t.Errorf("%s section %d: numbers %v, want %v as in English", c.Language, i, got, want)
			}
			for _, n := range names {
				if got, want := strings.Count(secs[i], n), strings.Count(enSecs[i], n); got != want {
					t.Errorf("%s section %d: %q %d times, want %d as in English", c.Language, i, n, got, want)
				}
			}
		}
	}
}

func TestMatch(t *testing.T) {
	tests := []struct {
		tag, want string
		ok        bool
	}{
		{"en", "en", true},
		{"EN", "en", true},
		{"en-GB", "en", true},
		{"pt-BR", "pt-BR", true},
		{"pt-br", "pt-BR", true},
		{"pt_BR", "pt-BR", true},
		{"pt", "pt-BR", true},
		{"pt-PT", "pt-BR", true},
		{" pt-BR ", "pt-BR", true},
		{"fr", "", false},
		{"*", "", false},
		{"", "", false},
		{"p", "", false},
	}
	for _, tt := range tests {
		if got, ok := consent.Match(tt.tag); got != tt.want || ok != tt.ok {
			t.Errorf("Match(%q): got %q %v, want %q %v", tt.tag, got, ok, tt.want, tt.ok)
		}
	}
}

func TestMatchAcceptLanguage(t *testing.T) {
	tests := []struct {
		header, want string
		ok           bool
	}{
		{"pt-BR,pt;q=0.9,en-US;q=0.8,en;q=0.7", "pt-BR", true},
		{"en-US,en;q=0.9,pt-BR;q=0.8", "en", true},
		{"fr-FR, fr;q=0.9, pt;q=0.5", "pt-BR", true}, // French is not offered: the next preference
		{"en;q=0.2, pt-BR;q=0.9", "pt-BR", true},     // by weight, not by position
		{"pt-BR;q=0, en;q=0.1", "en", true},          // q=0: not acceptable
		{"pt-BR;q=x, en;q=0.1", "en", true},          // malformed weight: skipped
		{"pt-BR;level=1, en;q=0.1", "en", true},      // not a weight: skipped
		{"pt-BR;Q=0.5", "pt-BR", true},
		{"*", "", false},
		{"de, fr", "", false},
		{"", "", false},
		{strings.Repeat("de,", 40) + "pt-BR", "", false}, // past the ranges read
	}
	for _, tt := range tests {
		if got, ok := consent.MatchAcceptLanguage(tt.header); got != tt.want || ok != tt.ok {
			t.Errorf("MatchAcceptLanguage(%q): got %q %v, want %q %v", tt.header, got, ok, tt.want, tt.ok)
		}
	}
}

func TestInFallsBackToEnglish(t *testing.T) {
	for _, lang := range []string{"", "fr", "*", "zz-ZZ"} {
		if got := consent.In(lang); got != consent.Current {
			t.Errorf("In(%q): got the %s text, want English", lang, got.Language)
		}
	}
	if got := consent.In("pt"); got.Language != consent.BrazilianPortuguese {
		t.Errorf("In(pt): got %s, want pt-BR", got.Language)
	}
}

// The photo counts every text gives ("at least 15, and 20 to 30 work
// best") are the fewest photos the validator accepts and the range it
// recommends, as the validator itself states them.
func TestPhotoCountIsTheValidators(t *testing.T) {
	r, err := dataset.Validate(context.Background(), nil, dataset.Options{})
	if err != nil {
		t.Fatal(err)
	}
	bounds := regexp.MustCompile(`\(([0-9]+) minimum, ([0-9]+) to ([0-9]+) recommended\)`)
	var want []string
	for _, f := range r.Errors {
		if m := bounds.FindStringSubmatch(f.Message); f.Code == dataset.CodeTooFewImages && m != nil {
			want = m[1:]
		}
	}
	if want == nil {
		t.Fatalf("no %s finding stating the bounds in %+v", dataset.CodeTooFewImages, r.Errors)
	}
	for _, c := range consent.InForce() {
		if got := number.FindAllString(sections(t, c.Text)[1], -1); !slices.Equal(got, want) {
			t.Errorf("%s: photo counts %v, want the validator's minimum and recommended range %v", c.Language, got, want)
		}
	}
}
