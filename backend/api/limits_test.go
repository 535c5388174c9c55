package api_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/promptforge/lorastudio/internal/studio"
)

// TestInitMaxPhotoBytes: datasets/init takes a photo of exactly
// studio.MaxPhotoBytes, the cap the desktop's import and the dataset engine
// apply too, and refuses one byte more with 413 file_too_large.
func TestInitMaxPhotoBytes(t *testing.T) {
	e := newEnv(t, nil)
	tok := e.register("limits@example.com")
	e.consent(tok)
	sha := strings.Repeat("ab", 32)
	for _, tt := range []struct {
		size   int64
		status int
		code   string
	}{
		{studio.MaxPhotoBytes, 200, ""},
		{studio.MaxPhotoBytes + 1, 413, studio.EFileTooLarge},
	} {
		body := fmt.Sprintf(`{"model_name":"me","files":[{"name":"a.jpg","size":%d,"content_type":"image/jpeg","sha256":"%s"}]}`, tt.size, sha)
		status, _, out := e.req("POST", "/api/lora/datasets/init", tok, body)
		if status != tt.status || tt.code != "" && errorCode(t, out) != tt.code {
			t.Errorf("size %d: got %d %s, want %d %s", tt.size, status, out, tt.status, tt.code)
		}
	}
}
