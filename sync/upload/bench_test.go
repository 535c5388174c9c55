package upload_test

import (
	"context"
	"database/sql"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/promptforge/lorastudio/backend/api"
	"github.com/promptforge/lorastudio/internal/dataset"
	"github.com/promptforge/lorastudio/internal/wire"
	"github.com/promptforge/lorastudio/sync/client"
	"github.com/promptforge/lorastudio/sync/synctest"
	"github.com/promptforge/lorastudio/sync/upload"
)

// transferOnly is the real API for init and renewals, and skips commit and
// validate, which the peer does not do either: the benchmark compares
// transfers.
type transferOnly struct{ *client.Client }

func (transferOnly) CommitDataset(context.Context, wire.CommitRequest) (wire.Dataset, error) {
	return wire.Dataset{}, nil
}

func (transferOnly) ValidateDataset(context.Context, wire.ValidateRequest) (wire.Validation, error) {
	return wire.Validation{Status: upload.StateValidated}, nil
}

// BenchmarkUpload uploads the 20-photo dataset (19 webcam frames and one
// 8 MiB photo in two parts) through the uploader (3 in parallel, every
// acknowledgement recorded in SQLite) and through a plain sequential loop
// of http.Client PUTs to the presigned URLs of a datasets/init, side by
// side. Both include the init; neither includes stripping.
func BenchmarkUpload(b *testing.B) {
	be := synctest.NewBackend(b, func(c *api.Config) { c.Limiter = api.NewMemoryLimiter(nil) })
	api := be.SignUp(b, "bench@example.com")
	photos := synctest.Dataset(b)
	dir := b.TempDir()
	db := synctest.OpenDB(b, dir)

	// The stripped copies, as the uploader sends them.
	var files []strippedFile
	var total int64
	for _, p := range photos {
		out := filepath.Join(dir, p.Name+".stripped")
		w, err := os.Create(out)
		if err != nil {
			b.Fatal(err)
		}
		sum, err := dataset.Strip(context.Background(), dataset.Source{Name: p.Name, Open: func() (io.ReadCloser, error) { return os.Open(p.Path) }}, w)
		w.Close()
		if err != nil {
			b.Fatal(err)
		}
		fi, _ := os.Stat(out)
		files = append(files, strippedFile{wire.FileDecl{Name: p.Name, Size: fi.Size(), ContentType: "image/jpeg", SHA256: sum}, out})
		total += fi.Size()
	}

	for _, rtt := range []time.Duration{0, 20 * time.Millisecond} {
		b.Run("rtt="+rtt.String(), func(b *testing.B) { benchTransfers(b, rtt, db, dir, api, photos, files, total) })
	}
}

type strippedFile struct {
	decl wire.FileDecl
	path string
}

// latency delays every request by one round trip, as a distant storage does.
type latency struct {
	rtt  time.Duration
	next http.RoundTripper
}

func (l latency) RoundTrip(r *http.Request) (*http.Response, error) {
	time.Sleep(l.rtt)
	return l.next.RoundTrip(r)
}

func benchTransfers(b *testing.B, rtt time.Duration, db *sql.DB, dir string, api *client.Client, photos []synctest.Photo, files []strippedFile, total int64) {
	tr := latency{rtt: rtt, next: http.DefaultTransport}
	b.Run("uploader", func(b *testing.B) {
		u, err := upload.New(upload.Config{DB: db, API: transferOnly{api}, Dir: filepath.Join(dir, "uploads"), Concurrency: 3,
			HTTP: &http.Client{Transport: tr}})
		if err != nil {
			b.Fatal(err)
		}
		req := upload.Request{ModelName: "me"}
		for _, p := range photos {
			req.Photos = append(req.Photos, upload.Photo{Name: p.Name, Path: p.Path})
		}
		b.SetBytes(total)
		b.ResetTimer()
		for range b.N {
			b.StopTimer()
			id, err := u.Prepare(context.Background(), req)
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			res, err := u.Resume(context.Background(), id)
			if err != nil {
				b.Fatal(err)
			}
			if res.Run.BytesSent != total {
				b.Fatalf("sent %d bytes, want %d", res.Run.BytesSent, total)
			}
		}
	})

	b.Run("sequential-peer", func(b *testing.B) {
		hc := &http.Client{Transport: tr}
		init := wire.InitRequest{ModelName: "me"}
		for _, f := range files {
			init.Files = append(init.Files, f.decl)
		}
		b.SetBytes(total)
		b.ResetTimer()
		for range b.N {
			out, err := api.InitDataset(context.Background(), "", init)
			if err != nil {
				b.Fatal(err)
			}
			for i, up := range out.Uploads {
				if up.Multipart == nil {
					plainPut(b, hc, up.Method, up.URL, up.Headers, files[i].path, 0, files[i].decl.Size)
					continue
				}
				for _, p := range up.Multipart.Parts {
					plainPut(b, hc, p.Method, p.URL, p.Headers, files[i].path, int64(p.Number-1)*up.Multipart.PartSize, p.Size)
				}
			}
		}
	})
}

func plainPut(b *testing.B, hc *http.Client, method, url string, headers map[string]string, path string, off, size int64) {
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	req, err := http.NewRequest(method, url, io.NewSectionReader(f, off, size))
	if err != nil {
		b.Fatal(err)
	}
	req.ContentLength = size
	for k, v := range headers {
		if !strings.EqualFold(k, "Content-Length") {
			req.Header.Set(k, v)
		}
	}
	resp, err := hc.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		b.Fatalf("PUT: %d", resp.StatusCode)
	}
}
