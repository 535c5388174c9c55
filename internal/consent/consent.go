// Package consent holds the consent text users agree to before any photo of
// their face is uploaded or trained on, with its version and hash. The
// desktop shows the same bytes the backend records the hash of.
package consent

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
)

//go:embed text/v1.md
var v1 string

// Text is one version of the consent text.
type Text struct {
	Version string `json:"version"`
	Text    string `json:"text"`
	SHA256  string `json:"sha256"` // hex of the UTF-8 bytes of Text
	Purpose string `json:"purpose"`
}

// Current is the version in force. A new version is a new file and a new
// Version; consents given to an older one are outdated.
var Current = newText("2026-11-01", v1, "train LoRA versions of the user's own face and build Character Packs")

func newText(version, text, purpose string) Text {
	h := sha256.Sum256([]byte(text))
	return Text{Version: version, Text: text, SHA256: hex.EncodeToString(h[:]), Purpose: purpose}
}
