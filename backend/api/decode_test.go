package api_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/promptforge/lorastudio/internal/dataset"
	"github.com/promptforge/lorastudio/internal/dataset/datasettest"
)

// uploadDataset creates, uploads and commits a dataset of files through the
// real routes and returns its id.
func uploadDataset(e *env, tok string, files map[string][]byte) string {
	e.t.Helper()
	var decls []string
	for name, b := range files {
		sum := sha256.Sum256(b)
		ct := "image/webp"
		if strings.HasSuffix(name, ".png") {
			ct = "image/png"
		}
		decls = append(decls, fmt.Sprintf(`{"name":%q,"size":%d,"content_type":%q,"sha256":%q}`, name, len(b), ct, hex.EncodeToString(sum[:])))
	}
	code, _, body := e.req("POST", "/api/lora/datasets/init", tok, `{"model_name":"me","files":[`+strings.Join(decls, ",")+`]}`)
	if code != 200 {
		e.t.Fatalf("init: %d %s", code, body)
	}
	var init struct {
		DatasetID string          `json:"dataset_id"`
		Uploads   []presignUpload `json:"uploads"`
	}
	json.Unmarshal([]byte(body), &init)
	var keys []string
	for _, u := range init.Uploads {
		if code, _ := presignPut(e.t, u.Method, u.URL, u.Headers, files[u.Name]); code != 200 {
			e.t.Fatalf("PUT %s: %d", u.Name, code)
		}
		keys = append(keys, `{"key":"`+u.Key+`"}`)
	}
	if code, _, body := e.req("POST", "/api/lora/datasets/commit", tok, `{"dataset_id":"`+init.DatasetID+`","files":[`+strings.Join(keys, ",")+`]}`); code != 200 {
		e.t.Fatalf("commit: %d %s", code, body)
	}
	return init.DatasetID
}

// rssKB reads a field (VmRSS, VmHWM) of /proc/self/status.
func rssKB(t *testing.T, field string) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skipf("no /proc/self/status: %v", err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == field+":" {
			n, _ := strconv.ParseInt(f[1], 10, 64)
			return n
		}
	}
	t.Skipf("no %s in /proc/self/status", field)
	return 0
}

// Twenty pixel bombs a user (under 1 KB of uploads for the WebPs), validated
// by two users at once through the real HTTP API, are refused as
// too_many_pixels while the server's peak RSS stays small. Before the decode
// budget each lossless WebP decoded into ~550 MB, two per request at once.
func TestValidatePixelBombsStaysBounded(t *testing.T) {
	e := newEnv(t, nil)
	bombs := func(user int) map[string][]byte {
		files := map[string][]byte{}
		for i := range 19 {
			files[fmt.Sprintf("bomb_%d_%02d.webp", user, i)] = datasettest.LosslessWebPBomb(7999, 8000-20*user-i)
		}
		files[fmt.Sprintf("bomb_%d_png16.png", user)] = datasettest.PNGBomb(4000, 4000-user, 16)
		return files
	}
	type user struct{ tok, dataset string }
	var users []user
	for i := range 2 {
		tok := e.register(fmt.Sprintf("user%d@example.com", i))
		presignConsent(e, tok)
		users = append(users, user{tok, uploadDataset(e, tok, bombs(i))})
	}

	// Reset the peak RSS to the current RSS (Linux >= 4.0), then validate.
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		t.Skipf("cannot reset the peak RSS: %v", err)
	}
	base := rssKB(t, "VmRSS")
	start := time.Now()
	var wg sync.WaitGroup
	reports := make([]string, len(users))
	for i, u := range users {
		wg.Go(func() {
			code, _, body := e.req("POST", "/api/lora/datasets/validate", u.tok, `{"dataset_id":"`+u.dataset+`"}`)
			if code != 200 {
				t.Errorf("validate: %d %s", code, body)
			}
			reports[i] = body
		})
	}
	wg.Wait()
	peakMB := (rssKB(t, "VmHWM") - base) >> 10
	t.Logf("2 users x 20 bombs validated in %v, peak RSS +%d MB", time.Since(start).Round(time.Millisecond), peakMB)
	if peakMB > 150 {
		t.Errorf("got peak RSS +%d MB while validating, want under 150 MB", peakMB)
	}
	for i, body := range reports {
		var out struct {
			Report dataset.Report `json:"report"`
		}
		if err := json.Unmarshal([]byte(body), &out); err != nil {
			t.Fatalf("user %d: %v in %s", i, err, body)
		}
		if len(out.Report.Items) != 20 {
			t.Fatalf("user %d: got %d items, want 20", i, len(out.Report.Items))
		}
		for _, it := range out.Report.Items {
			if len(it.Issues) != 1 || it.Issues[0].Code != dataset.CodeTooManyPixels {
				t.Errorf("user %d, %s: got issues %+v, want too_many_pixels", i, it.File, it.Issues)
			}
		}
	}
}
