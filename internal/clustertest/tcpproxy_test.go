package clustertest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

// backends starts n HTTP servers that answer their index; block, when
// set, holds each request until it is closed, and each held request is
// announced on arrived.
func backends(t *testing.T, n int, block chan struct{}) (srvs []*httptest.Server, hosts []string, arrived chan struct{}) {
	t.Helper()
	arrived = make(chan struct{}, 16)
	for i := range n {
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if block != nil {
				arrived <- struct{}{}
				select {
				case <-block:
				case <-r.Context().Done():
				}
			}
			io.WriteString(w, strconv.Itoa(i))
		}))
		t.Cleanup(s.Close)
		srvs = append(srvs, s)
		hosts = append(hosts, strings.TrimPrefix(s.URL, "http://"))
	}
	return srvs, hosts, arrived
}

func get(hc *http.Client, url string) (string, error) {
	resp, err := hc.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

func TestTCPProxy(t *testing.T) {
	oneConnEach := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}

	t.Run("deals connections round robin", func(t *testing.T) {
		_, hosts, _ := backends(t, 3, nil)
		p, err := newTCPProxy(hosts)
		if err != nil {
			t.Fatal(err)
		}
		defer p.close()
		got := map[string]int{}
		for range 9 {
			b, err := get(oneConnEach, p.url())
			if err != nil {
				t.Fatal(err)
			}
			got[b]++
		}
		if got["0"] != 3 || got["1"] != 3 || got["2"] != 3 {
			t.Errorf("answers by replica %v, want 3 each", got)
		}
		if s := served(p.backends); s[0] != 3 || s[1] != 3 || s[2] != 3 {
			t.Errorf("connections given %v, want 3 each", s)
		}
	})

	t.Run("skips a replica that refuses connections", func(t *testing.T) {
		srvs, hosts, _ := backends(t, 3, nil)
		p, err := newTCPProxy(hosts)
		if err != nil {
			t.Fatal(err)
		}
		defer p.close()
		srvs[1].Close() // killed: its port refuses
		for i := range 6 {
			b, err := get(oneConnEach, p.url())
			if err != nil {
				t.Fatalf("request %d: %v (a dead replica must be skipped, not answered)", i, err)
			}
			if b == "1" {
				t.Fatalf("request %d answered by the closed replica", i)
			}
		}
		if p.backends[1].downUntil.Load() == 0 {
			t.Error("the refusing replica is not marked down")
		}
	})

	t.Run("cuts the client when its replica dies", func(t *testing.T) {
		block := make(chan struct{})
		defer close(block)
		srvs, hosts, arrived := backends(t, 1, block)
		p, err := newTCPProxy(hosts)
		if err != nil {
			t.Fatal(err)
		}
		defer p.close()
		errc := make(chan error, 1)
		go func() { _, err := get(oneConnEach, p.url()); errc <- err }()
		// Cut only once the request is in the handler: a connection the
		// server has not accepted yet would not be closed.
		select {
		case <-arrived:
		case <-time.After(5 * time.Second):
			t.Fatal("the request never reached the replica")
		}
		srvs[0].CloseClientConnections() // as kill -9 resets them
		select {
		case err := <-errc:
			if err == nil {
				t.Error("a request whose replica died was answered")
			}
		case <-time.After(3 * time.Second):
			t.Fatal("the client still waits on a connection whose replica died")
		}
	})

	t.Run("close ends open connections", func(t *testing.T) {
		block := make(chan struct{})
		defer close(block)
		_, hosts, _ := backends(t, 1, block)
		p, err := newTCPProxy(hosts)
		if err != nil {
			t.Fatal(err)
		}
		errc := make(chan error, 1)
		go func() { _, err := get(oneConnEach, p.url()); errc <- err }()
		for p.backends[0].served.Load() == 0 {
			time.Sleep(5 * time.Millisecond)
		}
		done := make(chan struct{})
		go func() { p.close(); close(done) }()
		select {
		case <-done:
		case <-time.After(3 * time.Second):
			t.Fatal("close waits on an open connection")
		}
		if err := <-errc; err == nil {
			t.Error("a request cut by close was answered")
		}
	})
}
