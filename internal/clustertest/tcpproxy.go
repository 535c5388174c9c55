package clustertest

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// tcpProxy balances connections, not requests, round robin over the
// replicas, as a Kubernetes Service (kube-proxy) or a cloud network load
// balancer does: it reads no HTTP and copies bytes both ways (splice(2) on
// Linux), so it costs the machine far less than Proxy. A connection whose
// replica dies is cut, and the client retries on a new one; a replica that
// refuses connections is skipped for a while.
type tcpProxy struct {
	ln       net.Listener
	backends []*backend
	next     atomic.Uint64
	wg       sync.WaitGroup
	mu       sync.Mutex
	conns    map[net.Conn]struct{}
	closed   bool
}

func newTCPProxy(hosts []string) (*tcpProxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &tcpProxy{ln: ln, conns: map[net.Conn]struct{}{}}
	for _, h := range hosts {
		p.backends = append(p.backends, &backend{host: h})
	}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

func (p *tcpProxy) url() string { return "http://" + p.ln.Addr().String() }

func (p *tcpProxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.wg.Add(1)
		go func() { defer p.wg.Done(); p.serve(c) }()
	}
}

// dial connects to the next live replica, skipping (and marking) those
// that refuse; replicas marked down are tried last.
func (p *tcpProxy) dial() (net.Conn, *backend, error) {
	var lastErr error
	for _, b := range turn(p.backends, &p.next) {
		c, err := net.DialTimeout("tcp", b.host, time.Second)
		if err == nil {
			b.downUntil.Store(0)
			return c, b, nil
		}
		b.downUntil.Store(time.Now().Add(downFor).UnixNano())
		lastErr = err
	}
	return nil, nil, lastErr
}

func (p *tcpProxy) serve(client net.Conn) {
	defer client.Close()
	up, b, err := p.dial()
	if err != nil {
		return // the client sees its connection closed and retries
	}
	defer up.Close()
	if !p.track(client, up) {
		return
	}
	defer p.untrack(client, up)
	b.served.Add(1)
	// HTTP/1.1 clients never half-close: when either side ends, both do.
	done := make(chan struct{}, 1)
	go func() { io.Copy(up, client); done <- struct{}{} }()
	io.Copy(client, up)
	client.Close()
	up.Close()
	<-done
}

func (p *tcpProxy) track(cs ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	for _, c := range cs {
		p.conns[c] = struct{}{}
	}
	return true
}

func (p *tcpProxy) untrack(cs ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range cs {
		delete(p.conns, c)
	}
}

func (p *tcpProxy) close() {
	p.ln.Close()
	p.mu.Lock()
	p.closed = true
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}
