package api_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/promptforge/lorastudio/backend/api"
)

type initAnswer struct {
	DatasetID string          `json:"dataset_id"`
	Uploads   []presignUpload `json:"uploads"`
}

// TestInitWithIdempotencyKeyMakesOneDataset: an init retried with its
// Idempotency-Key (its answer was lost on the way) answers the dataset
// the first one made, its uploads presigned afresh and in the declared
// order, and does not count the photos against the quota twice; the
// replayed URLs complete the upload.
func TestInitWithIdempotencyKeyMakesOneDataset(t *testing.T) {
	e := newEnv(t, func(c *api.Config) { c.MultipartFrom = 1 << 20 })
	alice := e.register("alice@example.com")
	presignConsent(e, alice)
	small := bytes.Repeat([]byte("s"), 1000)
	big := bytes.Repeat([]byte("b"), 2<<20) // multipart, one part
	// b.jpg first: the replay must keep this order, not the store's.
	body := `{"model_name":"me","files":[` + decl("b.jpg", big) + `,` + decl("a.jpg", small) + `]}`
	init := func(token, key, body string) (int, string, initAnswer, string) {
		t.Helper()
		var hdr []string
		if key != "" {
			hdr = []string{"Idempotency-Key", key}
		}
		code, h, raw := e.req("POST", "/api/lora/datasets/init", token, body, hdr...)
		var a initAnswer
		json.Unmarshal([]byte(raw), &a)
		return code, h.Get("Idempotent-Replayed"), a, raw
	}

	code, replayed, first, raw := init(alice, "upload-1", body)
	if code != 200 || replayed != "" || len(first.Uploads) != 2 || first.Uploads[0].Multipart == nil {
		t.Fatalf("first init: %d replayed=%q %s", code, replayed, raw)
	}
	code, replayed, again, raw := init(alice, "upload-1", body)
	if code != 200 || replayed != "true" || again.DatasetID != first.DatasetID || len(again.Uploads) != 2 {
		t.Fatalf("retried init: %d replayed=%q %s, want dataset %s replayed", code, replayed, raw, first.DatasetID)
	}
	for i, u := range again.Uploads {
		if u.Key != first.Uploads[i].Key || u.Name != first.Uploads[i].Name {
			t.Errorf("upload %d replayed as %s (%s), want %s (%s)", i, u.Name, u.Key, first.Uploads[i].Name, first.Uploads[i].Key)
		}
	}
	mp, put := again.Uploads[0].Multipart, again.Uploads[1]
	if mp == nil || mp.UploadID != first.Uploads[0].Multipart.UploadID || len(mp.Parts) != 1 || put.URL == "" {
		t.Fatalf("replayed uploads: %s, want the same multipart upload and a fresh PUT", raw)
	}
	var datasets struct{ Datasets []struct{ ID string } }
	_, _, raw = e.req("GET", "/api/lora/datasets", alice, "")
	json.Unmarshal([]byte(raw), &datasets)
	if len(datasets.Datasets) != 1 {
		t.Errorf("alice has %d datasets after a retried init, want 1: %s", len(datasets.Datasets), raw)
	}

	refusals := []struct {
		name, token, key, body string
		status                 int
		code                   string
	}{
		{"same key, another body", alice, "upload-1", `{"model_name":"other","files":[` + decl("a.jpg", small) + `]}`, 422, "idempotency_key_reused"},
		{"a key with a space", alice, "upload 1", body, 400, "idempotency_key_invalid"},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			code, _, _, raw := init(tt.token, tt.key, tt.body)
			if code != tt.status || errorCode(t, raw) != tt.code {
				t.Errorf("got %d %s, want %d %s", code, raw, tt.status, tt.code)
			}
		})
	}

	// Keys are each user's own.
	bob := e.register("bob@example.com")
	presignConsent(e, bob)
	if code, replayed, b, raw := init(bob, "upload-1", body); code != 200 || replayed != "" || b.DatasetID == first.DatasetID {
		t.Errorf("bob's init with alice's key: %d replayed=%q %s, want a dataset of his own", code, replayed, raw)
	}

	// The replayed URLs complete the upload; once committed, the key no
	// longer re-presigns (datasets/presign does, for what is left).
	if code, _ := presignPut(t, put.Method, put.URL, put.Headers, small); code != 200 {
		t.Fatalf("PUT to the replayed URL: %d", code)
	}
	p := mp.Parts[0]
	code, etag := presignPut(t, p.Method, p.URL, p.Headers, big)
	if code != 200 || etag == "" {
		t.Fatalf("PUT part to the replayed URL: %d etag %q", code, etag)
	}
	commit := `{"dataset_id":"` + first.DatasetID + `","files":[{"key":"` + put.Key + `"},{"key":"` + again.Uploads[0].Key + `","parts":[{"number":1,"etag":` + presignJSONString(etag) + `}]}]}`
	if code, _, raw := e.req("POST", "/api/lora/datasets/commit", alice, commit); code != 200 {
		t.Fatalf("commit: %d %s", code, raw)
	}
	if code, _, _, raw := init(alice, "upload-1", body); code != 409 || errorCode(t, raw) != "conflict" {
		t.Errorf("init replayed after its commit: %d %s, want 409 conflict", code, raw)
	}

	// A key whose dataset was deleted since is not replayed into nothing.
	if code, _, d, raw := init(alice, "upload-2", body); code != 200 {
		t.Fatalf("init with a second key: %d %s", code, raw)
	} else if code, _, raw := e.req("DELETE", "/api/lora/datasets/"+d.DatasetID, alice, ""); code != 204 {
		t.Fatalf("delete: %d %s", code, raw)
	}
	if code, _, _, raw := init(alice, "upload-2", body); code != 422 || errorCode(t, raw) != "idempotency_key_reused" {
		t.Errorf("init replayed after its dataset was deleted: %d %s, want 422 idempotency_key_reused", code, raw)
	}

	// Without a key every init is a new dataset, as before.
	_, _, x, _ := init(alice, "", body)
	_, _, y, _ := init(alice, "", body)
	if x.DatasetID == "" || x.DatasetID == y.DatasetID {
		t.Errorf("two inits without a key: %q and %q, want two datasets", x.DatasetID, y.DatasetID)
	}
}
