package api_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/promptforge/lorastudio/backend/api"
)

type presignUpload struct {
	Name      string
	Key       string
	Method    string
	URL       string
	Headers   map[string]string
	Multipart *struct {
		UploadID string `json:"upload_id"`
		PartSize int64  `json:"part_size"`
		Parts    []struct {
			Number  int
			Size    int64
			URL     string
			Method  string
			Headers map[string]string
		}
	}
}

func presignConsent(e *env, tok string) {
	e.t.Helper()
	code, _, body := e.req("GET", "/api/lora/consent", tok, "")
	var text struct{ Version, SHA256 string }
	json.Unmarshal([]byte(body), &text)
	if code, _, body = e.req("POST", "/api/lora/consents", tok, `{"version":"`+text.Version+`","sha256":"`+text.SHA256+`","attest_self":true}`); code != 201 {
		e.t.Fatalf("consent: %d %s", code, body)
	}
}

func presignPut(t *testing.T, method, url string, headers map[string]string, body []byte) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		if !strings.EqualFold(k, "Content-Length") {
			req.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("ETag")
}

// TestPresignRenewsUploadURLs: datasets/presign re-signs the URLs of
// declared, uncommitted files of the caller's dataset, in the shape of
// datasets/init, and the renewed URLs complete the upload.
func TestPresignRenewsUploadURLs(t *testing.T) {
	e := newEnv(t, func(c *api.Config) { c.MultipartFrom = 1 << 20 })
	alice := e.register("alice@example.com")
	presignConsent(e, alice)
	small := bytes.Repeat([]byte("s"), 1000)
	big := bytes.Repeat([]byte("b"), 2<<20) // multipart, one part
	code, _, body := e.req("POST", "/api/lora/datasets/init", alice, `{"model_name":"me","files":[`+decl("a.jpg", small)+`,`+decl("b.jpg", big)+`]}`)
	if code != 200 {
		t.Fatalf("init: %d %s", code, body)
	}
	var init struct {
		DatasetID string          `json:"dataset_id"`
		Uploads   []presignUpload `json:"uploads"`
	}
	json.Unmarshal([]byte(body), &init)
	single, multi := init.Uploads[0], init.Uploads[1]
	if single.Multipart != nil || multi.Multipart == nil {
		t.Fatalf("init: want one single and one multipart upload, got %s", body)
	}

	bob := e.register("bob@example.com")
	presignConsent(e, bob)
	presign := `{"dataset_id":"` + init.DatasetID + `","files":[{"key":"` + single.Key + `"},{"key":"` + multi.Key + `","parts":[1]}]}`
	tests := []struct {
		name, token, body string
		status            int
		code              string
	}{
		{"another user's dataset", bob, presign, 404, "not_found"},
		{"undeclared key", alice, `{"dataset_id":"` + init.DatasetID + `","files":[{"key":"users/x/datasets/y/z.jpg"}]}`, 400, "unknown_upload"},
		{"part out of range", alice, `{"dataset_id":"` + init.DatasetID + `","files":[{"key":"` + multi.Key + `","parts":[2]}]}`, 400, "invalid"},
		{"parts of a single upload", alice, `{"dataset_id":"` + init.DatasetID + `","files":[{"key":"` + single.Key + `","parts":[1]}]}`, 400, "invalid"},
		{"no files", alice, `{"dataset_id":"` + init.DatasetID + `","files":[]}`, 400, "invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, body := e.req("POST", "/api/lora/datasets/presign", tt.token, tt.body)
			if code != tt.status || errorCode(t, body) != tt.code {
				t.Errorf("got %d %s, want %d %s", code, body, tt.status, tt.code)
			}
		})
	}

	code, _, body = e.req("POST", "/api/lora/datasets/presign", alice, presign)
	if code != 200 {
		t.Fatalf("presign: %d %s", code, body)
	}
	var renewed struct {
		DatasetID string          `json:"dataset_id"`
		Uploads   []presignUpload `json:"uploads"`
	}
	json.Unmarshal([]byte(body), &renewed)
	if renewed.DatasetID != init.DatasetID || len(renewed.Uploads) != 2 {
		t.Fatalf("presign answered %s", body)
	}
	rs, rm := renewed.Uploads[0], renewed.Uploads[1]
	if rs.Key != single.Key || rs.URL == "" || rs.Multipart != nil {
		t.Errorf("renewed single upload: %+v", rs)
	}
	if rm.Multipart == nil || rm.Multipart.UploadID != multi.Multipart.UploadID || rm.Multipart.PartSize != multi.Multipart.PartSize || len(rm.Multipart.Parts) != 1 {
		t.Fatalf("renewed multipart: %+v, want the same upload id and part size, part 1", rm.Multipart)
	}
	if code, _ := presignPut(t, rs.Method, rs.URL, rs.Headers, small); code != 200 {
		t.Fatalf("PUT to the renewed URL: %d", code)
	}
	p := rm.Multipart.Parts[0]
	code, etag := presignPut(t, p.Method, p.URL, p.Headers, big)
	if code != 200 || etag == "" {
		t.Fatalf("PUT part to the renewed URL: %d etag %q", code, etag)
	}
	commit := `{"dataset_id":"` + init.DatasetID + `","files":[{"key":"` + single.Key + `"},{"key":"` + multi.Key + `","parts":[{"number":1,"etag":` + presignJSONString(etag) + `}]}]}`
	if code, _, body := e.req("POST", "/api/lora/datasets/commit", alice, commit); code != 200 || !strings.Contains(body, `"image_count":2`) {
		t.Fatalf("commit: %d %s", code, body)
	}
	code, _, body = e.req("POST", "/api/lora/datasets/presign", alice, presign)
	if code != 409 || errorCode(t, body) != "conflict" {
		t.Errorf("presign after commit: got %d %s, want 409 conflict", code, body)
	}
}

// decl declares b as a JPEG photo named name, as datasets/init takes it.
func decl(name string, b []byte) string {
	sum := sha256.Sum256(b)
	return `{"name":"` + name + `","size":` + presignJSONInt(len(b)) + `,"content_type":"image/jpeg","sha256":"` + hex.EncodeToString(sum[:]) + `"}`
}

func presignJSONInt(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func presignJSONString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
