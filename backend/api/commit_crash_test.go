package api_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/promptforge/lorastudio/backend/api"
	"github.com/promptforge/lorastudio/backend/blob"
)

// TestCommitAfterCompletionCrash leaves on disk what a kill -9 at each
// point of a multipart completion leaves, then commits again through the
// API: the commit must finish the upload (and the parts stay re-signable
// while it is not complete), never wedge it.
func TestCommitAfterCompletionCrash(t *testing.T) {
	e := newEnv(t, func(c *api.Config) { c.MultipartFrom = 1 << 20 })
	tok := e.register("crash@example.com")
	presignConsent(e, tok)
	// A second store on the same folder: another replica, or the process
	// that was killed.
	other, err := blob.NewLocal(e.blobDir, e.srv.URL+"/blob", bytes.Repeat([]byte("k"), 32), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	uploads := filepath.Join(e.blobDir, "uploads")

	tests := []struct {
		name    string
		crash   func(t *testing.T, key, id string, parts []blob.CompletedPart)
		presign int // status of datasets/presign after the crash
	}{
		{"claimed by the earlier protocol", func(t *testing.T, key, id string, _ []blob.CompletedPart) {
			mustRename(t, filepath.Join(uploads, id), filepath.Join(uploads, ".completing-"+id))
		}, 200},
		{"killed while assembling", func(t *testing.T, key, id string, _ []blob.CompletedPart) {
			half := filepath.Join(filepath.Dir(filepath.Join(e.blobDir, "objects", filepath.FromSlash(key))), ".tmp-123456")
			os.MkdirAll(filepath.Dir(half), 0o700)
			if err := os.WriteFile(half, bytes.Repeat([]byte("x"), 3<<20), 0o600); err != nil {
				t.Fatal(err)
			}
		}, 200},
		{"published, not recorded", func(t *testing.T, key, id string, parts []blob.CompletedPart) {
			saved := copyDir(t, filepath.Join(uploads, id), t.TempDir())
			if err := other.CompleteMultipart(context.Background(), key, id, parts); err != nil {
				t.Fatal(err)
			}
			os.RemoveAll(filepath.Join(uploads, ".done-"+id))
			copyDir(t, saved, filepath.Join(uploads, id))
		}, 200},
		{"recorded, parts not removed", func(t *testing.T, key, id string, parts []blob.CompletedPart) {
			saved := copyDir(t, filepath.Join(uploads, id), t.TempDir())
			if err := other.CompleteMultipart(context.Background(), key, id, parts); err != nil {
				t.Fatal(err)
			}
			copyDir(t, saved, filepath.Join(uploads, ".done-"+id))
		}, 409},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := bytes.Repeat([]byte{byte('a' + i)}, 6<<20) // two parts: 5 MiB and 1 MiB
			sum := sha256.Sum256(data)
			code, _, body := e.req("POST", "/api/lora/datasets/init", tok, `{"model_name":"crash","files":[{"name":"big.jpg","size":`+
				presignJSONInt(len(data))+`,"content_type":"image/jpeg","sha256":"`+hex.EncodeToString(sum[:])+`"}]}`)
			if code != 200 {
				t.Fatalf("init: %d %s", code, body)
			}
			var init struct {
				DatasetID string          `json:"dataset_id"`
				Uploads   []presignUpload `json:"uploads"`
			}
			json.Unmarshal([]byte(body), &init)
			up := init.Uploads[0]
			if up.Multipart == nil || len(up.Multipart.Parts) != 2 {
				t.Fatalf("init: want a multipart upload of two parts, got %s", body)
			}
			mp := up.Multipart
			var parts []blob.CompletedPart
			for _, p := range mp.Parts {
				off := int64(p.Number-1) * mp.PartSize
				code, etag := presignPut(t, p.Method, p.URL, p.Headers, data[off:off+p.Size])
				if code != 200 {
					t.Fatalf("PUT part %d: %d", p.Number, code)
				}
				parts = append(parts, blob.CompletedPart{Number: p.Number, ETag: etag})
			}

			tt.crash(t, up.Key, mp.UploadID, parts)

			code, _, body = e.req("POST", "/api/lora/datasets/presign", tok, `{"dataset_id":"`+init.DatasetID+`","files":[{"key":"`+up.Key+`","parts":[2]}]}`)
			if code != tt.presign {
				t.Fatalf("presign after the crash: got %d %s, want %d", code, body, tt.presign)
			}
			if code == 200 { // the upload resumes: a part sent again is accepted
				var renewed struct{ Uploads []presignUpload }
				json.Unmarshal([]byte(body), &renewed)
				p := renewed.Uploads[0].Multipart.Parts[0]
				if code, etag := presignPut(t, p.Method, p.URL, p.Headers, data[mp.PartSize:]); code != 200 || etag != parts[1].ETag {
					t.Fatalf("PUT part 2 again: got %d %s, want 200 %s", code, etag, parts[1].ETag)
				}
			}

			var files []string
			for _, p := range parts {
				files = append(files, `{"number":`+presignJSONInt(p.Number)+`,"etag":`+presignJSONString(p.ETag)+`}`)
			}
			commit := `{"dataset_id":"` + init.DatasetID + `","files":[{"key":"` + up.Key + `","parts":[` + strings.Join(files, ",") + `]}]}`
			code, _, body = e.req("POST", "/api/lora/datasets/commit", tok, commit)
			if code != 200 || !strings.Contains(body, `"image_count":1`) {
				t.Fatalf("commit after the crash: got %d %s, want 200 with the photo", code, body)
			}
			if code, _, body = e.req("POST", "/api/lora/datasets/commit", tok, commit); code != 200 {
				t.Errorf("commit again: got %d %s, want 200", code, body)
			}
			info, err := other.Stat(context.Background(), up.Key)
			if err != nil || info.Size != int64(len(data)) || info.SHA256 != hex.EncodeToString(sum[:]) {
				t.Errorf("stored object: got %+v %v, want the declared file", info, err)
			}
			for _, dir := range []string{mp.UploadID, ".done-" + mp.UploadID, ".completing-" + mp.UploadID} {
				entries, _ := os.ReadDir(filepath.Join(uploads, dir))
				for _, en := range entries {
					if en.Name() != "upload" && en.Name() != "completed" {
						t.Errorf("%s/%s left behind", dir, en.Name())
					}
				}
			}
		})
	}
}

func mustRename(t *testing.T, from, to string) {
	t.Helper()
	if err := os.Rename(from, to); err != nil {
		t.Fatal(err)
	}
}

// copyDir copies the files of the flat folder from into to, and returns to.
func copyDir(t *testing.T, from, to string) string {
	t.Helper()
	entries, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(to, 0o700)
	for _, en := range entries {
		b, err := os.ReadFile(filepath.Join(from, en.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, en.Name()), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return to
}
