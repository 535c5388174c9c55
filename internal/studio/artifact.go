package studio

import (
	"fmt"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Artifact is how to download a ready version's trained .safetensors: a
// short-lived presigned GET (it accepts Range requests, so a broken
// download resumes), what the file must hash to, and the name to save it
// under. It is the body of GET /api/lora/versions/{id}/artifact, decoded
// as is by the sync client.
type Artifact struct {
	URL       string    `json:"url"`
	SHA256    string    `json:"sha256"` // hex
	Size      int64     `json:"size"`
	Filename  string    `json:"filename"` // LoRAFileName
	ExpiresAt time.Time `json:"expires_at"`
}

// MaxSlug bounds the model-name part of a file name, so that the whole
// name stays far below every file system's 255-byte limit.
const MaxSlug = 48

// LoRAFileName is the one name a version's LoRA file has wherever it goes:
// the download, the prompt compiler's <lora:…> tag, the ComfyUI workflow.
// It is "{model}-v{number}-{base model}.safetensors" with the model name
// slugged to [a-z0-9-] (accents dropped, at most MaxSlug characters, "lora"
// when nothing is left), e.g. "alice-v3-flux-dev.safetensors": the same
// on every OS, never a reserved Windows name, never a trailing dot or space.
func LoRAFileName(modelName string, number int, baseModel string) string {
	return fmt.Sprintf("%s-v%d-%s.safetensors", Slug(modelName), max(number, 0), Slug(baseModel))
}

// windowsReserved are the device names Windows refuses as a file name,
// whatever follows them after a dot.
var windowsReserved = map[string]bool{"con": true, "prn": true, "aux": true, "nul": true,
	"com1": true, "com2": true, "com3": true, "com4": true, "com5": true, "com6": true, "com7": true, "com8": true, "com9": true,
	"lpt1": true, "lpt2": true, "lpt3": true, "lpt4": true, "lpt5": true, "lpt6": true, "lpt7": true, "lpt8": true, "lpt9": true}

// Slug turns a name into lower-case letters, digits and single hyphens,
// with accents dropped ("Zoë Ünal" is "zoe-unal"), at most MaxSlug long,
// never empty ("lora") and never a reserved Windows name on its own.
func Slug(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range norm.NFKD.String(name) {
		switch {
		case unicode.Is(unicode.Mn, r): // the accent of a decomposed letter
			continue
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
		case r >= 'A' && r <= 'Z':
			r += 'a' - 'A'
		default:
			dash = b.Len() > 0
			continue
		}
		if dash {
			b.WriteByte('-')
			dash = false
		}
		b.WriteRune(r)
	}
	s := b.String()
	if len(s) > MaxSlug {
		s = strings.TrimRight(s[:MaxSlug], "-")
	}
	if s == "" {
		return "lora"
	}
	if windowsReserved[s] {
		s += "-lora"
	}
	return s
}
