package api_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/promptforge/lorastudio/backend/blob"
)

// A commit checks its photos in storage at once but records them as the
// one-by-one commit did: the files before the first one missing are
// recorded, the error names that one, and committing again once it is
// uploaded finishes the dataset.
func TestCommitRecordsFilesBeforeTheFirstMissing(t *testing.T) {
	e := newEnv(t, nil)
	tok := e.register("partial@example.com")
	presignConsent(e, tok)
	const n = 12
	var files [][]byte
	var decl []string
	for i := range n {
		b := bytes.Repeat([]byte{byte('a' + i)}, 1000+i)
		files = append(files, b)
		sum := sha256.Sum256(b)
		decl = append(decl, fmt.Sprintf(`{"name":"%d.jpg","size":%d,"content_type":"image/jpeg","sha256":"%s"}`, i, len(b), hex.EncodeToString(sum[:])))
	}
	code, _, body := e.req("POST", "/api/lora/datasets/init", tok, `{"model_name":"partial","files":[`+strings.Join(decl, ",")+`]}`)
	if code != 200 {
		t.Fatalf("init: %d %s", code, body)
	}
	var init struct {
		DatasetID string          `json:"dataset_id"`
		Uploads   []presignUpload `json:"uploads"`
	}
	json.Unmarshal([]byte(body), &init)
	const missing = 7
	put := func(i int) {
		u := init.Uploads[i]
		req, _ := blob.NewHTTPRequest(context.Background(), blob.Request{Method: u.Method, URL: u.URL, Headers: u.Headers}, bytes.NewReader(files[i]))
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode/100 != 2 {
			t.Fatalf("put %d: %v %v", i, err, resp)
		}
		resp.Body.Close()
	}
	var keys []string
	for i, u := range init.Uploads {
		if i != missing {
			put(i)
		}
		keys = append(keys, `{"key":"`+u.Key+`"}`)
	}
	commit := `{"dataset_id":"` + init.DatasetID + `","files":[` + strings.Join(keys, ",") + `]}`
	code, _, body = e.req("POST", "/api/lora/datasets/commit", tok, commit)
	if code/100 != 4 || errorCode(t, body) != "upload_missing" || !strings.Contains(body, fmt.Sprintf("%d.jpg", missing)) {
		t.Fatalf("commit with file %d missing: got %d %s, want upload_missing naming it", missing, code, body)
	}
	var ds struct {
		Status     string `json:"status"`
		ImageCount int    `json:"image_count"`
		Items      []struct{ Name string }
	}
	code, _, body = e.req("GET", "/api/lora/datasets/"+init.DatasetID, tok, "")
	json.Unmarshal([]byte(body), &ds)
	if code != 200 || ds.ImageCount != missing || len(ds.Items) != missing || ds.Status != "draft" {
		t.Fatalf("after the failed commit: %d, %d images, %d items, %s; want the %d before the missing one, draft", code, ds.ImageCount, len(ds.Items), ds.Status, missing)
	}
	put(missing)
	code, _, body = e.req("POST", "/api/lora/datasets/commit", tok, commit)
	json.Unmarshal([]byte(body), &ds)
	if code != 200 || ds.ImageCount != n || len(ds.Items) != n || ds.Status != "uploaded" {
		t.Fatalf("commit again: %d, %d images, %d items, %s; want %d, uploaded", code, ds.ImageCount, len(ds.Items), ds.Status, n)
	}
}
