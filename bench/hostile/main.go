// Command hostile puts a running `lorastudio serve` under the attacks of
// issue 12 at once, over loopback only, and reports what the server did:
//
//   - pixel bombs: two users each upload a dataset of tiny images that claim
//     64 MP (16-bit RGB PNGs, lossless WebPs) through the real API
//     (init, presigned PUT, commit) and validate it, several times;
//   - a login flood: 40 source addresses (127.0.0.2…127.0.0.41) each keep
//     a few login attempts in flight, wrong and right passwords;
//   - slow bodies: presigned /blob/ PUTs and webhook POSTs that send one
//     byte every 2 s, recording when the server cuts them;
//
// while /healthz is polled every 50 ms and the server's RSS is sampled from
// /proc every 100 ms. Every attack is bounded in count and in time, and the
// server is killed if its RSS passes -kill-rss (the old code takes GBs).
//
//	bash bench/hostile/run.sh   (builds the server, makes a throwaway database, runs this)
//	go run ./bench/hostile -url http://127.0.0.1:PORT -pid PID [flags]
package main

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/promptforge/lorastudio/backend/blob"
	"github.com/promptforge/lorastudio/internal/dataset/datasettest"
)

type config struct {
	base       string
	pid        int
	killRSS    int64
	deadline   time.Duration
	pngs       int
	webps      int
	validates  int
	loginAddrs int
	loginConc  int
	loginFor   time.Duration
	slowBlobs  int
	slowHooks  int
	byteEvery  time.Duration
	slowFor    time.Duration
	idle       time.Duration
}

func main() {
	var c config
	flag.StringVar(&c.base, "url", "", "the server, http://127.0.0.x:PORT (loopback only)")
	flag.IntVar(&c.pid, "pid", 0, "the server's process id, for its RSS")
	killGiB := flag.Float64("kill-rss", 8, "kill the server (SIGKILL) when its RSS passes this many GiB")
	flag.DurationVar(&c.deadline, "deadline", 4*time.Minute, "stop everything after this long")
	flag.IntVar(&c.pngs, "pngs", 16, "16-bit RGB PNG bombs (7999x8000, 373 KB) in each user's dataset")
	flag.IntVar(&c.webps, "webps", 4, "lossless WebP bombs (~8000x8000) in each user's dataset")
	flag.IntVar(&c.validates, "validates", 2, "validations of its dataset each bomb user runs, one after the other")
	flag.IntVar(&c.loginAddrs, "login-addrs", 40, "source addresses of the login flood, from 127.0.0.2 (0: no flood; at most 200)")
	flag.IntVar(&c.loginConc, "login-conc", 2, "login attempts each source address keeps in flight")
	flag.DurationVar(&c.loginFor, "login-for", 20*time.Second, "how long the login flood lasts")
	flag.IntVar(&c.slowBlobs, "slow-blobs", 100, "slow presigned /blob/ PUTs")
	flag.IntVar(&c.slowHooks, "slow-webhooks", 300, "slow webhook POSTs")
	flag.DurationVar(&c.byteEvery, "byte-every", 2*time.Second, "a slow body sends one byte this often")
	flag.DurationVar(&c.slowFor, "slow-for", 60*time.Second, "a slow body still open after this long is given up: not cut")
	flag.DurationVar(&c.idle, "idle", 10*time.Second, "watch /healthz and RSS this long before the attacks: the floor to compare with")
	flag.Parse()
	c.killRSS = int64(*killGiB * (1 << 30))
	if u, err := url.Parse(c.base); err != nil || u.Scheme != "http" || !loopback(c.base) || c.pid <= 0 {
		log.Fatal("want -url http://127.x.y.z:PORT (loopback only) and -pid of the server")
	}
	if c.loginAddrs < 0 || c.loginAddrs > 200 {
		log.Fatal("-login-addrs: 0 (no flood) to 200")
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.deadline)
	defer cancel()

	// Everyone the attacks need, before the clock starts.
	bombers := [2]string{mustUser(c.base, "bomber0@example.com", true), mustUser(c.base, "bomber1@example.com", true)}
	mustUser(c.base, "victim@example.com", false) // the login flood's right password
	slowUser := mustUser(c.base, "slow@example.com", true)
	png := pngBomb(7999, 8000)
	log.Printf("bombs: %d-byte 16-bit RGB PNG, %d-byte lossless WebP, both ~8000x8000", len(png), len(datasettest.LosslessWebPBomb(7999, 8000)))
	var datasets [2]string
	for i, tok := range bombers {
		datasets[i] = uploadBombs(c.base, tok, png, c.pngs, c.webps, i)
	}
	blobURLs := presignSlow(c.base, slowUser, c.slowBlobs)
	log.Printf("ready: 2 users with %d bombs each, %d slow PUT URLs; attacking", c.pngs+c.webps, len(blobURLs))

	var floor *monitor
	if c.idle > 0 {
		floor = startMonitor(ctx, c)
		time.Sleep(c.idle)
		floor.stop()
	}
	mon := startMonitor(ctx, c)
	var wg sync.WaitGroup
	var bombs *bombResult
	var logins *loginResult
	var slowB, slowW *slowResult
	start := time.Now()
	wg.Add(4)
	go func() { defer wg.Done(); bombs = runBombs(ctx, c, bombers, datasets) }()
	go func() { defer wg.Done(); logins = runLoginFlood(ctx, c) }()
	go func() { defer wg.Done(); slowB = runSlowBlobs(ctx, c, blobURLs) }()
	go func() { defer wg.Done(); slowW = runSlowWebhooks(ctx, c) }()
	wg.Wait()
	elapsed := time.Since(start)
	m := mon.stop()

	fmt.Printf("\nhostile load against %s (pid %d), %.0f s\n\n", c.base, c.pid, elapsed.Seconds())
	fmt.Println("| measure | value |")
	fmt.Println("| --- | --- |")
	if m.killed {
		fmt.Printf("| server | KILLED at %.0f s: RSS passed %.1f GiB |\n", m.killedAt.Seconds(), float64(c.killRSS)/(1<<30))
	}
	fmt.Printf("| peak RSS (max VmRSS sampled / VmHWM) | %s / %s |\n", mib(m.peakRSS), mib(m.hwm))
	if floor != nil {
		fmt.Printf("| before the attacks (%.0f s): RSS / VmHWM | %s / %s |\n", c.idle.Seconds(), mib(floor.peakRSS), mib(floor.hwm))
		floor.printHealth("before the attacks: ")
	}
	m.printHealth("")
	fmt.Printf("| /healthz: slowest polls (s into the attacks: ms) | %s |\n", m.slowest(5))
	fmt.Printf("| bombs: all validations, first start to last end | %s |\n", secs(bombs.total))
	fmt.Printf("| bombs: each validation (%d files) | %s |\n", c.pngs+c.webps, bombs.each())
	fmt.Printf("| bombs: item codes | %s |\n", counts(bombs.codes))
	fmt.Printf("| logins (%d addresses x %d, %.0f s): statuses | %s |\n", c.loginAddrs, c.loginConc, c.loginFor.Seconds(), counts(logins.status))
	fmt.Printf("| logins: p50 / max latency | %s / %s |\n", ms(pct(logins.lat, 0.5)), ms(pct(logins.lat, 1)))
	slowB.print("slow /blob/ PUTs", c.slowFor)
	slowW.print("slow webhooks", c.slowFor)
}

// --- the users and their uploads --------------------------------------------

const password = "Tq7-brisket-lantern-1932" // passes the NIST policy of the auth fix

func mustUser(base, email string, consent bool) string {
	var tok struct{ Token string }
	must(call(http.DefaultClient, "POST", base+"/api/auth/register", "", map[string]any{"email": email, "password": password}, &tok, 201))
	if consent {
		var text struct {
			Version, SHA256 string
		}
		must(call(http.DefaultClient, "GET", base+"/api/lora/consent", tok.Token, nil, &text, 200))
		must(call(http.DefaultClient, "POST", base+"/api/lora/consents", tok.Token,
			map[string]any{"version": text.Version, "sha256": text.SHA256, "attest_self": true}, nil, 201))
	}
	return tok.Token
}

type upload struct {
	DatasetID string `json:"dataset_id"`
	Uploads   []struct {
		Key, Method, URL string
		Headers          map[string]string
	} `json:"uploads"`
}

type file struct {
	name, ctype string
	body        []byte
}

func (f file) decl() map[string]any {
	sum := sha256.Sum256(f.body)
	return map[string]any{"name": f.name, "size": len(f.body), "content_type": f.ctype, "sha256": hex.EncodeToString(sum[:])}
}

// uploadBombs makes user's dataset of bombs through init, PUT and commit,
// and returns its id. Each file differs (a text chunk, a width) so that
// none is a duplicate of another.
func uploadBombs(base, token string, png []byte, pngs, webps, user int) string {
	var files []file
	for i := range pngs {
		files = append(files, file{fmt.Sprintf("bomb%02d.png", i), "image/png", withText(png, fmt.Sprintf("u%d-%d", user, i))})
	}
	for i := range webps {
		files = append(files, file{fmt.Sprintf("bomb%02d.webp", i), "image/webp", datasettest.LosslessWebPBomb(7999-i-10*user, 8000)})
	}
	decls := make([]map[string]any, len(files))
	for i, f := range files {
		decls[i] = f.decl()
	}
	var up upload
	must(call(http.DefaultClient, "POST", base+"/api/lora/datasets/init", token, map[string]any{"model_name": fmt.Sprint("bombs", user), "files": decls}, &up, 200))
	keys := make([]map[string]any, len(files))
	for i, u := range up.Uploads {
		if !loopback(u.URL) {
			log.Fatalf("the server presigned %s: this bench sends nothing off loopback", u.URL)
		}
		req, err := blob.NewHTTPRequest(context.Background(), blob.Request{Method: u.Method, URL: u.URL, Headers: u.Headers}, bytes.NewReader(files[i].body))
		must(err)
		resp, err := http.DefaultClient.Do(req)
		must(err)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			log.Fatalf("PUT %s: %s", files[i].name, resp.Status)
		}
		keys[i] = map[string]any{"key": u.Key}
	}
	must(call(http.DefaultClient, "POST", base+"/api/lora/datasets/commit", token, map[string]any{"dataset_id": up.DatasetID, "files": keys}, nil, 200))
	return up.DatasetID
}

// presignSlow declares n photos of 64 KiB for the slow PUTs, in datasets
// of 50 (init takes at most 60 files).
func presignSlow(base, token string, n int) []slowTarget {
	var out []slowTarget
	for d := 0; len(out) < n; d++ {
		var files []map[string]any
		for i := range min(50, n-len(out)) {
			body := make([]byte, 64<<10)
			copy(body, fmt.Sprint("slow", d, "-", i))
			files = append(files, file{fmt.Sprintf("slow%02d.jpg", i), "image/jpeg", body}.decl())
		}
		var up upload
		must(call(http.DefaultClient, "POST", base+"/api/lora/datasets/init", token, map[string]any{"model_name": fmt.Sprint("slow", d), "files": files}, &up, 200))
		for _, u := range up.Uploads {
			out = append(out, slowTarget{method: u.Method, url: u.URL, headers: u.Headers, size: 64 << 10})
		}
	}
	return out
}

// --- pixel bombs ---------------------------------------------------------------

type bombResult struct {
	mu    sync.Mutex
	total time.Duration
	runs  []string // "12.3 s 200" per validation
	codes map[string]int
}

func (b *bombResult) each() string { return strings.Join(b.runs, ", ") }

func runBombs(ctx context.Context, c config, tokens [2]string, datasets [2]string) *bombResult {
	r := &bombResult{codes: map[string]int{}}
	start := time.Now()
	var wg sync.WaitGroup
	for u := range tokens {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range c.validates {
				if ctx.Err() != nil {
					return
				}
				t0 := time.Now()
				var out struct {
					Report struct {
						Items []struct {
							Issues []struct{ Code string }
						}
					}
				}
				status, err := callCtx(ctx, http.DefaultClient, "POST", c.base+"/api/lora/datasets/validate", tokens[u],
					map[string]any{"dataset_id": datasets[u]}, &out)
				d := time.Since(t0)
				r.mu.Lock()
				switch {
				case err != nil && ctx.Err() != nil:
					r.runs = append(r.runs, fmt.Sprintf("user %d: > %.1f s (stopped)", u, d.Seconds()))
				case err != nil:
					r.runs = append(r.runs, fmt.Sprintf("user %d: %.1f s (%v)", u, d.Seconds(), shortErr(err)))
				default:
					r.runs = append(r.runs, fmt.Sprintf("user %d: %.1f s (%d)", u, d.Seconds(), status))
				}
				for _, it := range out.Report.Items {
					for _, is := range it.Issues {
						r.codes[is.Code]++
					}
				}
				r.mu.Unlock()
			}
		}()
	}
	wg.Wait()
	r.total = time.Since(start)
	return r
}

// --- the login flood ---------------------------------------------------------

type loginResult struct {
	mu     sync.Mutex
	status map[string]int
	lat    []time.Duration
}

func runLoginFlood(ctx context.Context, c config) *loginResult {
	r := &loginResult{status: map[string]int{}}
	ctx, cancel := context.WithTimeout(ctx, c.loginFor)
	defer cancel()
	var wg sync.WaitGroup
	for a := range c.loginAddrs {
		src := &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(2+a))}
		client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
			DialContext:         (&net.Dialer{LocalAddr: src, Timeout: 5 * time.Second}).DialContext,
			MaxIdleConnsPerHost: c.loginConc,
		}}
		for w := range c.loginConc {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; ctx.Err() == nil; i++ {
					pw := password
					if (i+w)%2 == 0 {
						pw = "wrong password " + strconv.Itoa(i)
					}
					t0 := time.Now()
					// The flood's own deadline stops new attempts; one in
					// flight gets the client's timeout, so its answer counts.
					status, err := callCtx(context.Background(), client, "POST", c.base+"/api/auth/login", "",
						map[string]any{"email": "victim@example.com", "password": pw}, nil)
					k := strconv.Itoa(status)
					if err != nil && status == 0 {
						k = shortErr(err)
					}
					r.mu.Lock()
					r.status[k]++
					r.lat = append(r.lat, time.Since(t0))
					r.mu.Unlock()
					if status == 429 || status == 503 {
						// A client told to wait waits a little, as a script would not
						// for long: keep the pressure without a busy loop.
						select {
						case <-ctx.Done():
						case <-time.After(200 * time.Millisecond):
						}
					}
				}
			}()
		}
	}
	wg.Wait()
	return r
}

// --- slow bodies ------------------------------------------------------------------

type slowTarget struct {
	method, url string
	headers     map[string]string
	size        int
}

type slowResult struct {
	mu      sync.Mutex
	n       int
	outcome map[string]int
	cutAt   []time.Duration // when the server answered or closed
}

func (s *slowResult) print(label string, limit time.Duration) {
	fmt.Printf("| %s (%d): outcomes | %s |\n", label, s.n, counts(s.outcome))
	if len(s.cutAt) > 0 {
		fmt.Printf("| %s: cut after (min / p50 / max) | %s / %s / %s |\n", label,
			secs(pct(s.cutAt, 0)), secs(pct(s.cutAt, 0.5)), secs(pct(s.cutAt, 1)))
	}
}

func runSlowWebhooks(ctx context.Context, c config) *slowResult {
	targets := make([]slowTarget, c.slowHooks)
	for i := range targets {
		targets[i] = slowTarget{method: "POST", url: c.base + "/api/lora/webhook", size: 4096,
			headers: map[string]string{"Content-Type": "application/json"}}
	}
	return runSlow(ctx, c, targets)
}

func runSlowBlobs(ctx context.Context, c config, targets []slowTarget) *slowResult {
	return runSlow(ctx, c, targets)
}

// runSlow opens every target's connection, sends its headers and then one
// byte of body every c.byteEvery, until the server answers or closes, or
// c.slowFor passes (then it counts as held: not cut).
func runSlow(ctx context.Context, c config, targets []slowTarget) *slowResult {
	r := &slowResult{n: len(targets), outcome: map[string]int{}}
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(time.Duration(i) * 5 * time.Millisecond) // not all in the same millisecond
			outcome, at := slowOne(ctx, c, t)
			r.mu.Lock()
			r.outcome[outcome]++
			if at > 0 {
				r.cutAt = append(r.cutAt, at)
			}
			r.mu.Unlock()
		}()
	}
	wg.Wait()
	return r
}

func slowOne(ctx context.Context, c config, t slowTarget) (string, time.Duration) {
	u, err := url.Parse(t.url)
	if err != nil || !loopback(t.url) {
		return "refused: not loopback", 0
	}
	conn, err := net.DialTimeout("tcp", u.Host, 5*time.Second)
	if err != nil {
		return "dial: " + shortErr(err), 0
	}
	defer conn.Close()
	start := time.Now()
	var hdr strings.Builder
	fmt.Fprintf(&hdr, "%s %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n", t.method, u.RequestURI(), u.Host, t.size)
	for k, v := range t.headers {
		fmt.Fprintf(&hdr, "%s: %s\r\n", k, v)
	}
	hdr.WriteString("\r\n")
	if _, err := io.WriteString(conn, hdr.String()); err != nil {
		return "write: " + shortErr(err), 0
	}
	answered := make(chan string, 1)
	go func() {
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			answered <- "closed without an answer"
			return
		}
		var e struct{ Error struct{ Code string } }
		json.NewDecoder(io.LimitReader(resp.Body, 4096)).Decode(&e)
		answered <- strings.TrimSpace(fmt.Sprint(resp.StatusCode, " ", e.Error.Code))
	}()
	tick := time.NewTicker(c.byteEvery)
	defer tick.Stop()
	giveUp := time.NewTimer(c.slowFor)
	defer giveUp.Stop()
	for sent := 0; ; {
		select {
		case a := <-answered:
			return a, time.Since(start)
		case <-giveUp.C:
			return fmt.Sprintf("held %.0f s: not cut", c.slowFor.Seconds()), 0
		case <-ctx.Done():
			return "held to the deadline: not cut", 0
		case <-tick.C:
			if sent < t.size-1 { // never complete the body
				conn.SetWriteDeadline(time.Now().Add(time.Second))
				if _, err := conn.Write([]byte{'{'}); err == nil {
					sent++
				}
				// A write error means the server closed: the reader reports it.
			}
		}
	}
}

// --- /healthz and RSS --------------------------------------------------------

type monitor struct {
	stopped    chan struct{}
	done       chan struct{}
	health     []time.Duration
	healthAt   []time.Duration // when each poll started, from the monitor's start
	healthFail map[string]int  // failed polls by status or error
	peakRSS    int64
	hwm        int64
	killed     bool
	killedAt   time.Duration
}

func startMonitor(ctx context.Context, c config) *monitor {
	m := &monitor{stopped: make(chan struct{}), done: make(chan struct{}), healthFail: map[string]int{}}
	start := time.Now()
	var wg sync.WaitGroup
	wg.Add(2)
	var mu sync.Mutex
	go func() { // RSS every 100 ms; the kill switch
		defer wg.Done()
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-m.stopped:
				return
			case <-tick.C:
			}
			rss, hwm := procStatus(c.pid)
			mu.Lock()
			m.peakRSS, m.hwm = max(m.peakRSS, rss), max(m.hwm, hwm)
			if rss > c.killRSS && !m.killed {
				syscall.Kill(c.pid, syscall.SIGKILL)
				m.killed, m.killedAt = true, time.Since(start)
				log.Printf("server RSS %s passed the limit: killed", mib(rss))
			}
			mu.Unlock()
		}
	}()
	go func() { // /healthz every 50 ms, each in its own goroutine so a slow one does not thin the polls
		defer wg.Done()
		client := &http.Client{Timeout: 30 * time.Second}
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		var polls sync.WaitGroup
		defer polls.Wait()
		for {
			select {
			case <-m.stopped:
				return
			case <-tick.C:
			}
			polls.Add(1)
			go func() {
				defer polls.Done()
				t0 := time.Now()
				at := t0.Sub(start)
				resp, err := client.Get(c.base + "/healthz")
				d := time.Since(t0)
				fail := ""
				if err != nil {
					fail = shortErr(err)
				} else {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 {
						fail = strconv.Itoa(resp.StatusCode)
					}
				}
				mu.Lock()
				m.health = append(m.health, d) // a failed poll's latency counts too
				m.healthAt = append(m.healthAt, at)
				if fail != "" {
					m.healthFail[fail]++
				}
				mu.Unlock()
			}()
		}
	}()
	go func() { wg.Wait(); close(m.done) }()
	return m
}

func (m *monitor) printHealth(label string) {
	fmt.Printf("| %s/healthz p50 / p99 / max (%d polls; failed: %s) | %s / %s / %s |\n", label,
		len(m.health), counts(m.healthFail), ms(pct(m.health, 0.5)), ms(pct(m.health, 0.99)), ms(pct(m.health, 1)))
}

// slowest lists the n slowest polls with when they started.
func (m *monitor) slowest(n int) string {
	idx := make([]int, len(m.health))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return cmp.Compare(m.health[b], m.health[a]) })
	var parts []string
	for _, i := range idx[:min(n, len(idx))] {
		parts = append(parts, fmt.Sprintf("%.1f: %.0f", m.healthAt[i].Seconds(), float64(m.health[i].Microseconds())/1000))
	}
	return strings.Join(parts, ", ")
}

func (m *monitor) stop() *monitor {
	close(m.stopped)
	<-m.done
	return m
}

// procStatus reads VmRSS and VmHWM (peak) of pid, in bytes; 0 when gone.
func procStatus(pid int) (rss, hwm int64) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmRSS:":
			rss = kb << 10
		case "VmHWM:":
			hwm = kb << 10
		}
	}
	return rss, hwm
}

// --- HTTP and formatting ------------------------------------------------------

func call(client *http.Client, method, url, token string, in, out any, want int) error {
	status, err := callCtx(context.Background(), client, method, url, token, in, out)
	if err == nil && status != want {
		err = fmt.Errorf("%s %s: %d, want %d", method, url, status, want)
	}
	return err
}

func callCtx(ctx context.Context, client *http.Client, method, url, token string, in, out any) (int, error) {
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, err
	}
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			return resp.StatusCode, err
		}
	}
	return resp.StatusCode, nil
}

// loopback reports whether raw names an address of 127.0.0.0/8 (or ::1):
// the only places this bench sends anything.
func loopback(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && net.ParseIP(u.Hostname()).IsLoopback()
}

func must(err error) {
	if err != nil {
		log.Fatal(err)
	}
}

func shortErr(err error) string {
	s := err.Error()
	for _, k := range []string{"connection refused", "connection reset", "EOF", "timeout", "deadline exceeded", "broken pipe"} {
		if strings.Contains(s, k) {
			return k
		}
	}
	return s
}

func pct(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, int(q*float64(len(s))))]
}

func counts(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s: %d", k, m[k])
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

func mib(b int64) string          { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }
func ms(d time.Duration) string   { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }
func secs(d time.Duration) string { return fmt.Sprintf("%.1f s", d.Seconds()) }
