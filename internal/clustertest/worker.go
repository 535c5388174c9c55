package clustertest

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/promptforge/lorastudio/internal/stdwebhook"
	"github.com/promptforge/lorastudio/internal/worker"
)

// Worker is a fake GPU worker that counts dispatches: it answers the base
// models, and accepts POST /jobs only with a valid dispatch signature,
// recording each dispatch it accepted.
type Worker struct {
	URL      string
	verifier stdwebhook.Verifier
	srv      *http.Server

	mu         sync.Mutex
	dispatches []Dispatched
	refused    int
}

// Dispatched is one accepted dispatch.
type Dispatched struct {
	WebhookID   string
	JobID       string
	DispatchKey string
	At          time.Time
}

func startWorker(tb TB, secret []byte) *Worker {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	w := &Worker{URL: "http://" + ln.Addr().String(), verifier: stdwebhook.Verifier{Secrets: [][]byte{secret}}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /base-models", func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Content-Type", "application/json")
		io.WriteString(rw, `{"base_models":["flux-dev","flux-schnell","sdxl"]}`)
	})
	mux.HandleFunc("POST /jobs", w.dispatch)
	w.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go w.srv.Serve(ln)
	tb.Cleanup(func() { w.srv.Close() })
	return w
}

func (w *Worker) dispatch(rw http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 16<<20))
	if err != nil {
		http.Error(rw, err.Error(), http.StatusBadRequest)
		return
	}
	id, err := w.verifier.Verify(r.Header, body)
	var d worker.Dispatch
	if err == nil {
		err = json.Unmarshal(body, &d)
	}
	if err != nil || d.JobID == "" || d.DispatchKey == "" {
		w.mu.Lock()
		w.refused++
		w.mu.Unlock()
		http.Error(rw, "bad dispatch", http.StatusUnauthorized)
		return
	}
	w.mu.Lock()
	w.dispatches = append(w.dispatches, Dispatched{WebhookID: id, JobID: d.JobID, DispatchKey: d.DispatchKey, At: time.Now()})
	w.mu.Unlock()
	rw.WriteHeader(http.StatusAccepted)
}

// Dispatches returns the dispatches accepted so far, in order.
func (w *Worker) Dispatches() []Dispatched {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]Dispatched(nil), w.dispatches...)
}

// Refused returns how many dispatches failed the signature check.
func (w *Worker) Refused() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.refused
}
