package clustertest

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"sync/atomic"
	"time"
)

// Proxy is a round-robin reverse proxy in front of the replicas, as a load
// balancer would be: a backend that refuses connections (killed) is
// skipped and tried again after a short pause; a request that reached a
// backend which then died is answered 502 and never resent (the backend
// may have applied it), so the client retries, as it would in production.
type Proxy struct {
	URL      string // http://127.0.0.1:PORT
	backends []*backend
	next     atomic.Uint64
	rp       *httputil.ReverseProxy
	srv      *http.Server
}

type backend struct {
	host      string // 127.0.0.1:PORT
	downUntil atomic.Int64
	served    atomic.Int64
	inFlight  atomic.Int64 // sent, no answer yet
}

// downFor is how long a backend that refused a connection is skipped.
const downFor = 200 * time.Millisecond

// maxProxiedBody bounds a request body the proxy buffers to resend it to
// another backend after a refused connection; uploads go to storage, so
// the API's bodies are far smaller.
const maxProxiedBody = 64 << 20

func newProxy(hosts []string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{URL: "http://" + ln.Addr().String()}
	for _, h := range hosts {
		p.backends = append(p.backends, &backend{host: h})
	}
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: time.Second}).DialContext,
		MaxIdleConns:        1024,
		MaxIdleConnsPerHost: 512,
		MaxConnsPerHost:     512, // as a load balancer caps them; more wait for one
		IdleConnTimeout:     30 * time.Second,
	}
	p.rp = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.Out.URL.Scheme = "http"
			pr.SetXForwarded()
		},
		Transport: &roundRobin{p: p, tr: tr},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			w.WriteHeader(http.StatusBadGateway)
		},
	}
	p.srv = &http.Server{Handler: http.HandlerFunc(p.serve), ReadHeaderTimeout: 10 * time.Second}
	go p.srv.Serve(ln)
	return p, nil
}

func (p *Proxy) serve(w http.ResponseWriter, r *http.Request) {
	if r.Body != nil && r.Body != http.NoBody {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxProxiedBody))
		if err != nil {
			http.Error(w, "proxy: "+err.Error(), http.StatusRequestEntityTooLarge)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		r.ContentLength = int64(len(body))
	}
	p.rp.ServeHTTP(w, r)
}

// Served returns how many requests each backend answered.
func (p *Proxy) Served() []int64 { return served(p.backends) }

func served(bs []*backend) []int64 {
	out := make([]int64, len(bs))
	for i, b := range bs {
		out[i] = b.served.Load()
	}
	return out
}

// InFlight returns how many requests backend i is working on (sent, not
// answered yet).
func (p *Proxy) InFlight(i int) int64 { return p.backends[i].inFlight.Load() }

func (p *Proxy) close() { p.srv.Close() }

type roundRobin struct {
	p  *Proxy
	tr *http.Transport
}

// RoundTrip sends req to the next live backend; on a refused connection
// (nothing was sent) it marks that one down and tries the next. Backends
// marked down are tried last, so a restarted one comes back.
func (rr *roundRobin) RoundTrip(req *http.Request) (*http.Response, error) {
	var lastErr error
	for _, b := range turn(rr.p.backends, &rr.p.next) {
		out := req.Clone(req.Context())
		out.URL.Host = b.host
		if req.GetBody != nil {
			body, _ := req.GetBody()
			out.Body = body
		}
		b.inFlight.Add(1)
		resp, err := rr.tr.RoundTrip(out)
		b.inFlight.Add(-1)
		if err == nil {
			b.downUntil.Store(0)
			b.served.Add(1)
			return resp, nil
		}
		if !refused(err) {
			return nil, err
		}
		b.downUntil.Store(time.Now().Add(downFor).UnixNano())
		lastErr = err
	}
	return nil, lastErr
}

// turn returns the backends in the order the next request or connection
// tries them: round robin from the next one, those marked down last, so a
// restarted one comes back.
func turn(bs []*backend, next *atomic.Uint64) []*backend {
	n := uint64(len(bs))
	start := next.Add(1)
	now := time.Now().UnixNano()
	var live, down []*backend
	for i := range n {
		b := bs[(start+i)%n]
		if b.downUntil.Load() > now {
			down = append(down, b)
		} else {
			live = append(live, b)
		}
	}
	return append(live, down...)
}

// refused reports whether err is a failure to connect: the request was not sent.
func refused(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}
