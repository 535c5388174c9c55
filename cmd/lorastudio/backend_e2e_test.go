package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"image"
	"image/jpeg"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/disintegration/imaging"

	"github.com/promptforge/lorastudio/internal/pgtest"
	"github.com/promptforge/lorastudio/internal/s3test"
)

// client talks to a running backend the way the desktop's sync client
// will: JSON over real HTTP, a bearer token, presigned PUTs.
type client struct {
	t     *testing.T
	base  string
	token string
}

func (c *client) do(method, path string, body any, want int, out any) {
	c.t.Helper()
	if code, raw := c.try(method, path, body, out); code != want {
		c.t.Fatalf("%s %s: got %d, want %d: %s", method, path, code, want, raw)
	}
}

func (c *client) try(method, path string, body any, out any) (int, string) {
	c.t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			c.t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, r)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			c.t.Fatalf("%s %s: decode %s: %v", method, path, raw, err)
		}
	}
	return resp.StatusCode, string(raw)
}

type upload struct {
	Name      string            `json:"name"`
	Key       string            `json:"key"`
	Method    string            `json:"method"`
	URL       string            `json:"url"`
	Headers   map[string]string `json:"headers"`
	Multipart *struct {
		UploadID string `json:"upload_id"`
		PartSize int64  `json:"part_size"`
		Parts    []struct {
			Number  int               `json:"number"`
			Size    int64             `json:"size"`
			URL     string            `json:"url"`
			Method  string            `json:"method"`
			Headers map[string]string `json:"headers"`
		} `json:"parts"`
	} `json:"multipart"`
}

func put(t *testing.T, method, url string, headers map[string]string, body []byte) string {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		if strings.EqualFold(k, "Content-Length") {
			continue // net/http sets it from the body, which is exactly the declared size
		}
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		raw, _ := io.ReadAll(resp.Body)
		t.Fatalf("%s %s: %d %s", method, url, resp.StatusCode, raw)
	}
	return resp.Header.Get("ETag")
}

// bigPhoto makes a phone-sized, grainy JPEG of a real face so one file
// crosses the multipart threshold.
func bigPhoto(t *testing.T, src string) []byte {
	t.Helper()
	img, err := imaging.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	big := imaging.Resize(img, 4000, 3000, imaging.Linear)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range big.Pix {
		if i%4 != 3 {
			big.Pix[i] = uint8(max(0, min(255, int(big.Pix[i])+rng.IntN(41)-20)))
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, image.Image(big), &jpeg.Options{Quality: 97}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestBackendUploadFlow is the backend issue's acceptance test: a real
// serve on a free port, the real Postgres, the local signed store or a real
// MinIO; a user registers, consents, uploads 20 photos (one multipart) with
// plain HTTP PUTs, commits, and the server re-validates them with the
// dataset engine.
func TestBackendUploadFlow(t *testing.T) {
	tests := []struct {
		storage string
		// env configures the storage and returns how to list what it holds.
		env func(t *testing.T) (map[string]string, func() []string)
	}{
		{"local", func(t *testing.T) (map[string]string, func() []string) {
			dir := t.TempDir()
			return map[string]string{"LORASTUDIO_BLOB_DIR": dir}, func() []string {
				var files []string
				filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
					if err == nil && !d.IsDir() && strings.Contains(p, "users") && !strings.HasSuffix(p, "~meta") {
						files = append(files, p)
					}
					return nil
				})
				return files
			}
		}},
		{"s3", func(t *testing.T) (map[string]string, func() []string) {
			// A real MinIO: it checks the presigned URLs' signatures and
			// the single PUTs' x-amz-checksum-sha256.
			srv := s3test.Start(t)
			bucket := srv.NewBucket(t)
			return map[string]string{
					"LORASTUDIO_STORAGE": "s3", "LORASTUDIO_S3_ENDPOINT": srv.Endpoint, "LORASTUDIO_S3_BUCKET": bucket,
					"LORASTUDIO_S3_REGION": s3test.Region, "LORASTUDIO_S3_PATH_STYLE": "true",
					"AWS_ACCESS_KEY_ID": srv.AccessKey, "AWS_SECRET_ACCESS_KEY": srv.SecretKey,
				}, func() []string {
					var keys []string
					pages := s3.NewListObjectsV2Paginator(srv.Client, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
					for pages.HasMorePages() {
						page, err := pages.NextPage(context.Background())
						if err != nil {
							t.Fatal(err)
						}
						for _, o := range page.Contents {
							keys = append(keys, aws.ToString(o.Key))
						}
					}
					return keys
				}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.storage, func(t *testing.T) {
			env, stored := tt.env(t)
			env["DATABASE_URL"] = pgtest.NewDatabase(t)
			env["LORASTUDIO_MULTIPART_FROM"] = "6291456" // 6 MiB, so the big photo goes multipart
			uploadFlow(t, env, stored)
		})
	}
}

func uploadFlow(t *testing.T, env map[string]string, objects func() []string) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c0, _, errb := testCLI(env)
	if code := run(ctx, c0, []string{"migrate"}); code != exitOK {
		t.Fatalf("migrate: %s", errb)
	}
	c1, _, logs := testCLI(env)
	done := make(chan int, 1)
	go func() { done <- run(ctx, c1, []string{"serve", "--addr", "127.0.0.1:0"}) }()
	addr := waitForListen(t, logs, done)
	defer func() {
		cancel()
		<-done
		if t.Failed() {
			t.Logf("server log:\n%s", logs)
		}
	}()

	alice := &client{t: t, base: "http://" + addr}
	var tok struct{ Token string }
	alice.do("POST", "/api/auth/register", map[string]string{"email": "alice@example.com", "password": "a long passphrase"}, 201, &tok)
	alice.token = tok.Token

	// Photos: 19 webcam frames and one big grainy phone-sized photo.
	dir := filepath.Join("..", "..", "internal", "dataset", "testdata", "person")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	type file struct {
		name string
		data []byte
	}
	var files []file
	for _, e := range entries[:19] {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, file{e.Name(), b})
	}
	files = append(files, file{"phone_photo.jpg", bigPhoto(t, filepath.Join(dir, entries[20].Name()))})
	if n := len(files[19].data); n < 6<<20 {
		t.Fatalf("the big photo is only %d bytes; it must cross the multipart threshold", n)
	}
	var decl []map[string]any
	for _, f := range files {
		sum := sha256.Sum256(f.data)
		decl = append(decl, map[string]any{"name": f.name, "size": len(f.data), "content_type": "image/jpeg", "sha256": hex.EncodeToString(sum[:])})
	}
	initBody := map[string]any{"model_name": "me", "files": decl}

	// No consent yet: refused with a clear code.
	code, raw := alice.try("POST", "/api/lora/datasets/init", initBody, nil)
	if code != 403 || !strings.Contains(raw, `"consent_required"`) {
		t.Fatalf("init without consent: got %d %s, want 403 consent_required", code, raw)
	}
	var text struct{ Version, SHA256 string }
	alice.do("GET", "/api/lora/consent", nil, 200, &text)
	alice.do("POST", "/api/lora/consents", map[string]any{"version": text.Version, "sha256": text.SHA256, "attest_self": true}, 201, nil)

	var initOut struct {
		DatasetID string   `json:"dataset_id"`
		Uploads   []upload `json:"uploads"`
	}
	alice.do("POST", "/api/lora/datasets/init", initBody, 200, &initOut)
	if len(initOut.Uploads) != 20 {
		t.Fatalf("got %d uploads, want 20", len(initOut.Uploads))
	}
	var commitFiles []map[string]any
	multipart := 0
	for i, u := range initOut.Uploads {
		if u.Name != files[i].name || !strings.HasPrefix(u.Key, "users/") || strings.Contains(u.Key, files[i].name) {
			t.Errorf("upload %d: name %q key %q: want the declared order and a server-chosen key", i, u.Name, u.Key)
		}
		if u.Multipart == nil {
			put(t, u.Method, u.URL, u.Headers, files[i].data)
			commitFiles = append(commitFiles, map[string]any{"key": u.Key})
			continue
		}
		multipart++
		var parts []map[string]any
		off := int64(0)
		for _, p := range u.Multipart.Parts {
			etag := put(t, p.Method, p.URL, p.Headers, files[i].data[off:off+p.Size])
			off += p.Size
			parts = append(parts, map[string]any{"number": p.Number, "etag": etag})
		}
		if off != int64(len(files[i].data)) {
			t.Fatalf("parts cover %d of %d bytes", off, len(files[i].data))
		}
		commitFiles = append(commitFiles, map[string]any{"key": u.Key, "parts": parts})
	}
	if multipart != 1 {
		t.Errorf("got %d multipart uploads, want 1 (the big photo)", multipart)
	}

	type dsOut struct {
		ID         string `json:"id"`
		Status     string `json:"status"`
		ImageCount int    `json:"image_count"`
		Items      []struct{ Name, Key, SHA256 string }
	}
	var committed dsOut
	commitBody := map[string]any{"dataset_id": initOut.DatasetID, "files": commitFiles}
	alice.do("POST", "/api/lora/datasets/commit", commitBody, 200, &committed)
	if committed.Status != "uploaded" || committed.ImageCount != 20 || len(committed.Items) != 20 {
		t.Fatalf("after commit: status %s, %d images, %d items; want uploaded, 20, 20", committed.Status, committed.ImageCount, len(committed.Items))
	}
	if n := len(objects()); n != 20 {
		t.Errorf("storage holds %d objects after commit, want 20", n)
	}
	var again dsOut
	alice.do("POST", "/api/lora/datasets/commit", commitBody, 200, &again)
	if again.ImageCount != 20 || len(again.Items) != 20 {
		t.Errorf("committing twice changed the dataset: %d images", again.ImageCount)
	}

	var val struct {
		Status string `json:"status"`
		Report struct {
			OK          bool   `json:"ok"`
			ImageCount  int    `json:"image_count"`
			DatasetHash string `json:"dataset_hash"`
			Items       []struct {
				File  string `json:"file"`
				Faces int    `json:"faces"`
			} `json:"items"`
		} `json:"report"`
	}
	start := time.Now()
	alice.do("POST", "/api/lora/datasets/validate", map[string]any{"dataset_id": initOut.DatasetID, "min_resolution": 256}, 200, &val)
	t.Logf("server-side validation of 20 photos took %v", time.Since(start))
	if val.Report.ImageCount != 20 || len(val.Report.Items) != 20 || !strings.HasPrefix(val.Report.DatasetHash, "sha256:") {
		t.Fatalf("report: %d images, %d items, hash %q", val.Report.ImageCount, len(val.Report.Items), val.Report.DatasetHash)
	}
	if want := map[bool]string{true: "validated", false: "rejected"}[val.Report.OK]; val.Status != want {
		t.Errorf("status %s for a report with ok=%v, want %s", val.Status, val.Report.OK, want)
	}
	var stored struct {
		Status string          `json:"status"`
		Report json.RawMessage `json:"report"`
		Items  []struct {
			Name          string
			Width, Height int
		}
	}
	alice.do("GET", "/api/lora/datasets/"+initOut.DatasetID, nil, 200, &stored)
	for _, it := range stored.Items {
		if it.Width == 0 || it.Height == 0 {
			t.Errorf("%s: size %dx%d not recorded by validation", it.Name, it.Width, it.Height)
		}
	}
	if stored.Status != val.Status || !bytes.Contains(stored.Report, []byte(val.Report.DatasetHash)) {
		t.Errorf("stored dataset: status %s, report %.200s", stored.Status, stored.Report)
	}

	// Another user sees none of it, on every route that takes an id.
	bob := &client{t: t, base: alice.base}
	bob.do("POST", "/api/auth/register", map[string]string{"email": "bob@example.com", "password": "another long passphrase"}, 201, &tok)
	bob.token = tok.Token
	bob.do("POST", "/api/lora/consents", map[string]any{"version": text.Version, "sha256": text.SHA256, "attest_self": true}, 201, nil)
	for _, r := range []struct {
		method, path string
		body         any
	}{
		{"GET", "/api/lora/datasets/" + initOut.DatasetID, nil},
		{"DELETE", "/api/lora/datasets/" + initOut.DatasetID, nil},
		{"POST", "/api/lora/datasets/commit", commitBody},
		{"POST", "/api/lora/datasets/validate", map[string]any{"dataset_id": initOut.DatasetID}},
	} {
		code, raw := bob.try(r.method, r.path, r.body, nil)
		if code != 404 || strings.Contains(raw, "phone_photo") {
			t.Errorf("bob %s %s: got %d %s, want 404 without alice's data", r.method, r.path, code, raw)
		}
	}
	var list struct{ Datasets []any }
	bob.do("GET", "/api/lora/datasets", nil, 200, &list)
	if len(list.Datasets) != 0 {
		t.Errorf("bob lists %d datasets, want 0", len(list.Datasets))
	}
	var models struct{ Models []struct{ Name string } }
	bob.do("GET", "/api/lora/models", nil, 200, &models)
	if len(models.Models) != 0 {
		t.Errorf("bob lists models %v, want none", models.Models)
	}

	// Deleting a dataset takes its objects with it, and only its own.
	one := map[string]any{"model_name": "me", "files": decl[:1]}
	var small struct {
		DatasetID string   `json:"dataset_id"`
		Uploads   []upload `json:"uploads"`
	}
	alice.do("POST", "/api/lora/datasets/init", one, 200, &small)
	put(t, small.Uploads[0].Method, small.Uploads[0].URL, small.Uploads[0].Headers, files[0].data)
	alice.do("POST", "/api/lora/datasets/commit", map[string]any{"dataset_id": small.DatasetID, "files": []map[string]any{{"key": small.Uploads[0].Key}}}, 200, nil)
	if n := len(objects()); n != 21 {
		t.Fatalf("storage holds %d objects, want 21", n)
	}
	alice.do("DELETE", "/api/lora/datasets/"+small.DatasetID, nil, 204, nil)
	alice.do("GET", "/api/lora/datasets/"+small.DatasetID, nil, 404, nil)
	if n := len(objects()); n != 20 {
		t.Errorf("after deleting a dataset storage holds %d objects, want the other dataset's 20", n)
	}

	// Withdrawal erases the photos from storage and the database.
	var erased struct {
		Photos int `json:"photos_erased"`
	}
	alice.do("POST", "/api/lora/consents/withdraw", nil, 200, &erased)
	if erased.Photos != 20 {
		t.Errorf("withdrawal erased %d photos, want 20", erased.Photos)
	}
	alice.do("GET", "/api/lora/datasets/"+initOut.DatasetID, nil, 404, nil)
	if left := objects(); len(left) != 0 {
		t.Errorf("objects left in storage after withdrawal: %v", left)
	}
	code, raw = alice.try("POST", "/api/lora/datasets/init", initBody, nil)
	if code != 403 {
		t.Errorf("init after withdrawal: got %d %s, want 403", code, raw)
	}
}
