package api_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/promptforge/lorastudio/backend/api"
)

// The backend's own downloads (the local store's artifacts under /blob/)
// keep net/http's sendfile path: the writer the blob handler gets through
// the request-logging wrapper is still an io.ReaderFrom. Without it a
// 64 MiB artifact went through user space (bench/artifact).
func TestBlobHandlerKeepsReaderFrom(t *testing.T) {
	blobs := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, ok := w.(io.ReaderFrom)
		fmt.Fprintf(w, "readerfrom=%v", ok)
	})
	srv := httptest.NewServer(api.New(api.Config{BlobHandler: blobs}))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/blob/users/u/artifacts/a.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if string(b) != "readerfrom=true" {
		t.Errorf("blob handler's writer: %s, want readerfrom=true", b)
	}
}
