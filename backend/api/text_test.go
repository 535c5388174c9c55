package api_test

import (
	"strings"
	"testing"
)

// Every route refuses control and invisible formatting characters in any
// string it takes, with 400 invalid_text naming the field, before any of it
// reaches Postgres (which answers a NUL with an error: a 500 before).
func TestControlCharactersRefused(t *testing.T) {
	e := newJobsEnv(t, nil)
	tok, datasetID := e.validatedUser("owner@example.com")
	sha := strings.Repeat("a", 64)
	file := func(name, sha string) string {
		return `{"name":"` + name + `","size":10,"content_type":"image/jpeg","sha256":"` + sha + `"}`
	}
	initBody := func(model, name string) string {
		return `{"model_name":"` + model + `","files":[` + file("a.jpg", sha) + `,` + file(name, strings.Repeat("b", 64)) + `]}`
	}
	job := func(params string) string {
		return `{"dataset_id":"` + datasetID + `","base_model":"flux-dev","params":` + params + `}`
	}
	tests := []struct {
		name, method, path, body string
		field                    string // named in the message; "" when the request must pass
		status                   int
	}{
		{"bidi override in register email", "POST", "/api/auth/register", `{"email":"abc\u202e@example.com","password":"a long passphrase"}`, "email", 400},
		{"bidi isolate in login email", "POST", "/api/auth/login", `{"email":"owner\u2066@example.com","password":"a long passphrase"}`, "email", 400},
		{"escape in password", "POST", "/api/auth/login", `{"email":"owner@example.com","password":"a long\u001bpassphrase"}`, "password", 400},
		{"NUL in model_name", "POST", "/api/lora/datasets/init", initBody(`me\u0000`, "b.jpg"), "model_name", 400},
		{"bidi override in model_name", "POST", "/api/lora/datasets/init", initBody(`Anna\u202egpj.exe`, "b.jpg"), "model_name", 400},
		{"C1 control in model_name", "POST", "/api/lora/datasets/init", initBody(`me\u0085`, "b.jpg"), "model_name", 400},
		{"zero-width space in model_name", "POST", "/api/lora/datasets/init", initBody(`m\u200be`, "b.jpg"), "model_name", 400},
		{"NUL in a file name", "POST", "/api/lora/datasets/init", initBody("me", `b\u0000.jpg`), "files[1].name", 400},
		{"newline in a file name", "POST", "/api/lora/datasets/init", initBody("me", `b\n.jpg`), "files[1].name", 400},
		{"NUL in a commit key", "POST", "/api/lora/datasets/commit", `{"dataset_id":"` + datasetID + `","files":[{"key":"k\u0000"}]}`, "files[0].key", 400},
		{"NUL in consent version", "POST", "/api/lora/consents", `{"version":"2026\u0000","sha256":"` + sha + `","attest_self":true}`, "version", 400},
		{"NUL in caption_template", "POST", "/api/lora/jobs", job(`{"caption_template":"a photo of {trigger}\u0000"}`), "params.caption_template", 400},
		{"NUL in target_platform", "POST", "/api/lora/activate", `{"version_id":"` + datasetID + `","target_platform":"sora-2\u0000"}`, "target_platform", 400},
		{"NUL in a path id", "GET", "/api/lora/jobs/%00", "", "id", 400},
		{"accents and an emoji with ZWJ pass", "POST", "/api/lora/datasets/init", initBody(`Zoë 👩‍💻`, "été.jpg"), "", 200},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, body := e.req(tt.method, tt.path, tok, tt.body, "Idempotency-Key", "text-"+strings.Repeat("k", i+1))
			if code != tt.status {
				t.Fatalf("got %d %s, want %d", code, body, tt.status)
			}
			if tt.field == "" {
				return
			}
			if c := errorCode(t, body); c != "invalid_text" || !strings.Contains(body, `"message":"`+tt.field+` `) {
				t.Errorf("got %s, want invalid_text naming %s", body, tt.field)
			}
		})
	}
}
