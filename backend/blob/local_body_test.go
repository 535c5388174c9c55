package blob_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/promptforge/lorastudio/backend/blob"
)

// TestLocalSlowPutIsCut trickles a body over a real TCP connection, a byte
// every 100 ms, to a store that wants 1 KiB/s over 300 ms windows: the PUT
// is refused within a few windows and leaves no temporary file, while a
// body sent at full speed still goes through.
func TestLocalSlowPutIsCut(t *testing.T) {
	ctx := context.Background()
	l, _, dir := newLocal(t)
	l.MinPutRate, l.PutRateWindow = 1<<10, 300*time.Millisecond

	data := testData(64<<10, 9)
	o := objectFor("users/u1/datasets/d1/"+sha(data)+".jpg", data)
	pre, err := l.PresignPut(ctx, o, ttl)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(pre.URL)
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "PUT %s HTTP/1.1\r\nHost: %s\r\n", u.RequestURI(), u.Host)
	for k, v := range pre.Headers {
		fmt.Fprintf(conn, "%s: %s\r\n", k, v)
	}
	fmt.Fprintf(conn, "\r\n")
	start := time.Now()
	stop := make(chan struct{})
	defer close(stop)
	go func() { // the slow loris
		for i := 0; i < len(data); i++ {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
			if _, err := conn.Write(data[i : i+1]); err != nil {
				return
			}
		}
	}()
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to a slow body within 5s: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusRequestTimeout || errorCode(t, body) != blob.CodeTooSlow {
		t.Errorf("got %d %s, want 408 %s", resp.StatusCode, body, blob.CodeTooSlow)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("cut after %s, want within a few 300 ms windows", d)
	}
	if files := regularFiles(t, filepath.Join(dir, "objects")); len(files) != 0 {
		t.Errorf("a cut upload left files: %v", files)
	}

	if resp, body := send(t, pre, data); resp.StatusCode != http.StatusOK {
		t.Errorf("PUT at full speed: got %d %s, want 200", resp.StatusCode, body)
	}
}

// TestLocalSweepsStaleTemps leaves the temporary files a kill -9 leaves (in
// an object's folder and in an upload's) and checks that opening the store
// and the hourly purge remove those older than StaleTempAge only: a fresh
// one may be another replica's upload in flight.
func TestLocalSweepsStaleTemps(t *testing.T) {
	dir := t.TempDir()
	open := func() *blob.Local {
		l, err := blob.NewLocal(dir, "http://127.0.0.1:1/blob", testSecret, nil)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	open()
	old := time.Now().Add(-blob.StaleTempAge - time.Minute)
	write := func(rel string, mtime time.Time) string {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		os.MkdirAll(filepath.Dir(p), 0o700)
		if err := os.WriteFile(p, []byte("half a body"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			t.Fatal(err)
		}
		return p
	}
	stale := []string{
		write("objects/users/u1/datasets/d1/.tmp-1234", old),
		write("uploads/ABCDEFGHIJKLMNOPQRSTUVWXYZ/.tmp-5678", old),
	}
	kept := []string{
		write("objects/users/u1/datasets/d1/.tmp-9999", time.Now()), // in flight
		write("objects/users/u1/datasets/d1/photo.jpg", old),        // an object
		write("uploads/ABCDEFGHIJKLMNOPQRSTUVWXYZ/00001", old),      // a part
	}
	check := func(when string) {
		t.Helper()
		for _, p := range stale {
			if _, err := os.Stat(p); err == nil {
				t.Errorf("%s: stale %s still there", when, p)
			}
		}
		for _, p := range kept {
			if _, err := os.Stat(p); err != nil {
				t.Errorf("%s: %s removed: %v", when, p, err)
			}
		}
	}
	l := open()
	check("after NewLocal")

	stale = append(stale, write("objects/users/u2/.tmp-4321", old))
	if _, err := l.PurgeUploads(context.Background(), time.Now().Add(-24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	check("after PurgeUploads")
}
