// Command replicas measures the backend as it is deployed: several real
// `lorastudio serve` processes on one Postgres, one Redis and MinIO behind
// a round-robin balancer (internal/clustertest), all on this machine,
// driven over loopback HTTP at fixed request rates (open loop: a slow
// answer does not slow the arrivals). The balancer (-lb) deals out
// connections, as a Kubernetes Service does (tcp, the default), or
// requests, as an HTTP load balancer does (http); each replica runs with
// GOMAXPROCS at its share of the cores, as a CPU limit would set it:
//
//  1. GET /healthz through the balancer at the webhook rate: the floor every
//     other figure is divided by;
//
//  2. a flood of signed worker webhooks, with (-kill) one replica killed
//     with SIGKILL a third of the way in and restarted at two thirds;
//     senders retry through the balancer until answered, as providers do.
//     Afterwards the database is checked: every webhook answered 2xx is
//     recorded (lost = 0) and none was answered "applied" twice;
//
//  3. datasets/init, 20 presigned PUTs to MinIO and datasets/commit of the
//     20 files at -commit-rate;
//
//  4. with -search, the saturation point of 1 and of 3 replicas: the
//     highest webhook rate of a ladder whose p99 stays under -p99 with
//     fewer than 0.1% errors, each step -step long, no kill;
//
//  5. with -cpuprofile FILE, a CPU profile of replica 0 during the flood
//     (LORASTUDIO_PPROF_ADDR), and the top of it; -selfprofile FILE
//     profiles this process (load generator and balancer); -timeline D
//     prints the flood's latency per window of D.
//
//     go run ./bench/replicas [-replicas 3] [-lb tcp|http] [-rate 2000] [-duration 10s]
//     [-kill] [-commit-rate 10] [-search] [-cpuprofile cpu.pprof] [-timeline 1s]
//
// It needs Postgres (DATABASE_URL or the local one), Redis (REDIS_URL or
// 127.0.0.1:6379) and MinIO (LORASTUDIO_MINIO, built by `make minio`).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/promptforge/lorastudio/internal/clustertest"
	"github.com/promptforge/lorastudio/internal/freeport"
)

var poolFlag, searchFrom *int
var lb *string
var replicaEnv = map[string]string{}

func main() {
	replicas := flag.Int("replicas", 3, "serve processes behind the proxy")
	rate := flag.Int("rate", 2000, "webhooks (and health checks) per second")
	dur := flag.Duration("duration", 10*time.Second, "how long each fixed-rate phase runs")
	kill := flag.Bool("kill", true, "kill -9 one replica a third into the flood and restart it at two thirds")
	jobs := flag.Int("jobs", 60, "training jobs the webhooks are spread over")
	commitRate := flag.Int("commit-rate", 10, "init+PUT+commit sequences of 20 files per second (0: skip)")
	search := flag.Bool("search", false, "find the saturation point of 1 and of 3 replicas")
	step := flag.Duration("step", 4*time.Second, "length of one step of the search")
	searchFrom = flag.Int("search-from", 50, "first rate of the search's ladder (each step 1.5x)")
	p99Goal := flag.Duration("p99", 25*time.Millisecond, "the p99 a rate must keep to pass")
	poolFlag = flag.Int("pool", 0, "Postgres connections per replica (0: pgx's default, 4 on 2 cores)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of replica 0 during the flood to this file")
	timeline := flag.Duration("timeline", 0, "print the flood's p50, p99 and max per window of this length (0: not)")
	selfprofile := flag.String("selfprofile", "", "write a CPU profile of this process (load generator and proxy) during the flood to this file")
	lb = flag.String("lb", "tcp", "the balancer in front: tcp (connections round robin, as a Kubernetes Service) or http (requests round robin, as an HTTP load balancer)")
	flag.Func("replica-env", "K=V added to every replica's environment (repeatable), e.g. GOMAXPROCS=1", func(kv string) error {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return fmt.Errorf("want K=V, got %q", kv)
		}
		replicaEnv[k] = v
		return nil
	})
	flag.Parse()
	if *lb != "tcp" && *lb != "http" {
		log.Fatalf("-lb %q: want tcp or http", *lb)
	}
	log.SetFlags(log.Ltime)

	p := &clustertest.Program{}
	defer p.Close()
	fmt.Printf("# replicas bench: %d cores, %s, %d replicas behind a %s balancer, %d/s for %v, kill %v\n\n",
		runtime.NumCPU(), runtime.Version(), *replicas, *lb, *rate, *dur, *kill)

	pprofAddr := ""
	if *cpuprofile != "" {
		pprofAddr = freeAddr(p)
	}
	c := startCluster(p, *replicas, pprofAddr)
	ctx := context.Background()
	tgt := setup(ctx, p, c, *jobs)

	fmt.Println("| phase | rate (/s) | sent | 2xx first try | errors | retries | p50 (ms) | p99 (ms) | p99 / healthz p99 |")
	fmt.Println("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
	floor := healthz(c, *rate, *dur)
	floor.row("GET /healthz (floor)", floor)

	var prof chan string
	var onStart func()
	if *cpuprofile != "" {
		prof = make(chan string, 1)
		onStart = func() { go func() { prof <- captureProfile(pprofAddr, *cpuprofile, *dur/2) }() }
	}
	var killAt, restartAt func()
	if *kill && *replicas > 1 {
		killAt = func() { c.Kill(1) }
		restartAt = func() { c.Restart(1) }
	}
	var self *os.File
	if *selfprofile != "" {
		var err error
		if self, err = os.Create(*selfprofile); err != nil {
			p.Fatal(err)
		}
		if err := pprof.StartCPUProfile(self); err != nil {
			p.Fatal(err)
		}
	}
	fl := flood(ctx, c, tgt, *rate, *dur, onStart, killAt, restartAt)
	if self != nil {
		pprof.StopCPUProfile()
		if err := self.Close(); err != nil {
			p.Fatal(err)
		}
	}
	fl.row("POST webhook"+map[bool]string{true: ", kill -9 + restart", false: ""}[killAt != nil], floor)
	if *timeline > 0 {
		fl.timeline(*timeline)
	}

	var cm *stats
	if *commitRate > 0 {
		cm = commits(ctx, p, c, *commitRate, *dur)
		cm.row("POST datasets/commit (20 files)", floor)
	}
	fmt.Printf("\nwebhooks: %d sent, %d answered 2xx, %d lost (answered 2xx, not recorded), %d applied twice, %d unanswered after 30 s of retries\n",
		fl.sent, fl.answered, fl.lost, fl.twice, fl.gaveUp)
	fmt.Printf("requests (-lb tcp: connections) given to each replica by the balancer: %v\n", c.Served())
	if prof != nil {
		fmt.Printf("\nCPU profile of replica 0 (%v during the flood), top:\n```\n%s```\n", *dur/2, <-prof)
	}
	if *search {
		fmt.Printf("\n## saturation (webhooks, %v a step, no kill)\n\n", *step)
		fmt.Printf("A rate passes with p99 < %v and errors < 0.1%%; a replica set keeps up while it answers at least 95%% of the offered rate.\n\n", *p99Goal)
		fmt.Println("| replicas | offered (/s) | answered (/s) | p50 (ms) | p99 (ms) | errors | healthz p99 (ms) | p99 / healthz p99 | p99 goal | keeps up |")
		fmt.Println("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |")
		for _, n := range []int{1, 3} {
			sp := &clustertest.Program{}
			sc := startCluster(sp, n, "")
			st := setup(ctx, sp, sc, *jobs)
			best, capacity := 0, 0
			for r := *searchFrom; r <= 20000; r = r * 3 / 2 {
				f := healthz(sc, r, *step)
				w := flood(ctx, sc, st, r, *step, nil, nil, nil)
				errRate := float64(w.errors) / float64(max(1, w.sent))
				pass := w.p(0.99) < float64(p99Goal.Microseconds())/1000 && errRate < 0.001 && w.lost == 0 && w.twice == 0
				keeps := w.done >= 0.95*w.rate && errRate < 0.001
				fmt.Printf("| %d | %.0f | %.0f | %.2f | %.2f | %.2f%% | %.2f | %.1fx | %v | %v |\n",
					n, w.rate, w.done, w.p(0.5), w.p(0.99), 100*errRate, f.p(0.99), w.p(0.99)/f.p(0.99), pass, keeps)
				if pass {
					best = r
				}
				if keeps {
					capacity = r
				}
				if !keeps {
					break
				}
			}
			fmt.Printf("\n%d replica(s): highest rate within the p99 goal %d/s; highest rate answered in full %d/s\n\n", n, best, capacity)
			sp.Close()
		}
	}
	if fl.lost > 0 || fl.twice > 0 || fl.gaveUp > 0 {
		p.Close()
		os.Exit(1)
	}
}

func startCluster(p *clustertest.Program, n int, pprofAddr string) *clustertest.Cluster {
	start := time.Now()
	env := map[string]string{
		"LORASTUDIO_LOG_LEVEL": "warn", // a line per request costs more than some requests
		// A handful of users sends far more than people do: lift the
		// per-user buckets, which this does not measure.
		"LORASTUDIO_RATE_LIMITS": "upload=600000/100000 jobs=600000/100000 auth=600000/100000",
	}
	maps.Copy(env, replicaEnv)
	c := clustertest.Start(p, clustertest.Config{
		Replicas:     n,
		PoolMaxConns: *poolFlag,
		TCP:          *lb == "tcp",
		Env:          env,
		ReplicaEnv: func(i int) map[string]string {
			if i == 0 && pprofAddr != "" {
				return map[string]string{"LORASTUDIO_PPROF_ADDR": pprofAddr}
			}
			return nil
		},
	})
	log.Printf("%d replicas ready in %v (binary %s)", n, time.Since(start).Round(time.Millisecond), c.Binary())
	return c
}

// target is what the flood sends to: dispatched jobs and their keys.
type target struct {
	jobs, keys []string
}

// setup registers a user with a validated dataset and starts n jobs on it,
// all dispatched to the fake worker.
func setup(ctx context.Context, p *clustertest.Program, c *clustertest.Cluster, n int) target {
	photos, err := clustertest.PersonPhotos()
	if err != nil {
		p.Fatal(err)
	}
	u, err := clustertest.Register(ctx, c.URL, "bench@example.com")
	if err != nil {
		p.Fatal(err)
	}
	ds, err := u.ValidatedDataset(ctx, "bench", photos)
	if err != nil {
		p.Fatal(err)
	}
	for i := range n {
		code, _, raw, err := u.CreateJob(ctx, fmt.Sprintf("bench-%d", i), ds, "sdxl")
		if err != nil || code != 202 {
			p.Fatalf("create job: %d %s %v", code, raw, err)
		}
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		var queued int
		c.DB.QueryRow(ctx, `SELECT count(*) FROM lora_jobs WHERE status = 'queued'`).Scan(&queued)
		if queued == 0 {
			break
		}
		if time.Now().After(deadline) {
			p.Fatalf("%d jobs still queued after 60 s", queued)
		}
		time.Sleep(50 * time.Millisecond)
	}
	var t target
	rows, err := c.DB.Query(ctx, `SELECT id::text, dispatch_key FROM lora_jobs ORDER BY created_at`)
	if err != nil {
		p.Fatal(err)
	}
	for rows.Next() {
		var id, key string
		rows.Scan(&id, &key)
		t.jobs, t.keys = append(t.jobs, id), append(t.keys, key)
	}
	rows.Close()
	return t
}

// stats is one fixed-rate phase.
type stats struct {
	mu               sync.Mutex
	lat              []time.Duration // first attempt of each request
	sentAt           []time.Time     // when each of lat was sent, for -timeline
	rate, done       float64         // offered, and answered, per second
	sent, ok, errors int
	retries          int
	answered, lost   int
	twice, gaveUp    int
}

func (s *stats) p(q float64) float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.lat) == 0 {
		return 0
	}
	lat := slices.Clone(s.lat) // s.lat stays in the order of sentAt
	slices.Sort(lat)
	return float64(lat[min(len(lat)-1, int(q*float64(len(lat))))].Microseconds()) / 1000
}

func (s *stats) row(label string, floor *stats) {
	fmt.Printf("| %s | %.0f | %d | %d | %d | %d | %.2f | %.2f | %.1fx |\n",
		label, s.rate, s.sent, s.ok, s.errors, s.retries, s.p(0.5), s.p(0.99), s.p(0.99)/floor.p(0.99))
}

// timeline prints the first attempts' latency per window of w by the time
// they were sent, to tell a steady tail from a stall.
func (s *stats) timeline(w time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.sentAt) == 0 {
		return
	}
	first := slices.MinFunc(s.sentAt, func(a, b time.Time) int { return a.Compare(b) })
	windows := map[int][]time.Duration{}
	for i, t := range s.sentAt {
		k := int(t.Sub(first) / w)
		windows[k] = append(windows[k], s.lat[i])
	}
	fmt.Printf("\n| sent at (s) | requests | p50 (ms) | p99 (ms) | max (ms) |\n| ---: | ---: | ---: | ---: | ---: |\n")
	for k := 0; k <= slices.Max(slices.Collect(maps.Keys(windows))); k++ {
		l := windows[k]
		if len(l) == 0 {
			continue
		}
		slices.Sort(l)
		ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
		fmt.Printf("| %.1f | %d | %.2f | %.2f | %.2f |\n", (time.Duration(k) * w).Seconds(), len(l), ms(l[len(l)/2]), ms(l[min(len(l)-1, len(l)*99/100)]), ms(l[len(l)-1]))
	}
	fmt.Println()
}

// fixedRate calls fn rate times a second for d, each call in its own
// goroutine at its scheduled time, and waits for all of them. at, if set,
// is called with the index of each call before it starts.
func fixedRate(rate int, d time.Duration, at func(i int), fn func(i int)) (offered, completed float64) {
	n := int(float64(rate) * d.Seconds())
	interval := time.Second / time.Duration(rate)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range n {
		if wait := time.Until(start.Add(time.Duration(i) * interval)); wait > 0 {
			time.Sleep(wait)
		}
		if at != nil {
			at(i)
		}
		wg.Add(1)
		go func() { defer wg.Done(); fn(i) }()
	}
	elapsed := time.Since(start)
	wg.Wait()
	return float64(n) / elapsed.Seconds(), float64(n) / time.Since(start).Seconds()
}

func newHTTPClient() *http.Client {
	// At most 1024 connections to the proxy: past saturation requests
	// queue here (and their wait is measured) instead of each opening
	// one more connection until the process runs out of descriptors.
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		MaxConnsPerHost: 1024, MaxIdleConns: 1024, MaxIdleConnsPerHost: 1024, IdleConnTimeout: 30 * time.Second}}
}

func healthz(c *clustertest.Cluster, rate int, d time.Duration) *stats {
	s := &stats{}
	hc := newHTTPClient()
	s.rate, s.done = fixedRate(rate, d, nil, func(int) {
		t0 := time.Now()
		resp, err := hc.Get(c.URL + "/healthz")
		ok := err == nil && resp.StatusCode == 200
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		lat := time.Since(t0)
		s.mu.Lock()
		defer s.mu.Unlock()
		s.sent++
		s.lat = append(s.lat, lat)
		if ok {
			s.ok++
		} else {
			s.errors++
		}
	})
	return s
}

// flood sends rate signed "running" webhooks a second for d, spread over
// the target's jobs, each retried through the balancer until answered 2xx
// (for up to 30 s), then checks them against the database.
func flood(ctx context.Context, c *clustertest.Cluster, t target, rate int, d time.Duration, onStart, kill, restart func()) *stats {
	n := int(float64(rate) * d.Seconds())
	prefix := "bench-" + strconv.FormatInt(time.Now().UnixNano(), 36) + "-"
	hooks := make([]clustertest.Webhook, n)
	for i := range hooks {
		j := i % len(t.jobs)
		hooks[i] = c.RunningWebhook(prefix+strconv.Itoa(i), t.jobs[j], t.keys[j], float64(i+1)/float64(n+1))
	}
	s := &stats{}
	answered := make([]atomic.Bool, n)
	applied := make([]atomic.Int32, n)
	hc := newHTTPClient()
	var killed sync.WaitGroup
	at := func(i int) {
		switch {
		case onStart != nil && i == 0:
			onStart()
		case kill != nil && i == n/3:
			killed.Add(1)
			go func() { defer killed.Done(); kill() }()
		case restart != nil && i == 2*n/3:
			killed.Wait()
			killed.Add(1)
			go func() { defer killed.Done(); restart() }()
		}
	}
	s.rate, s.done = fixedRate(rate, d, at, func(i int) {
		deadline := time.Now().Add(30 * time.Second)
		for try := 0; ; try++ {
			t0 := time.Now()
			code, res, err := hooks[i].Send(ctx, hc, c.URL)
			lat := time.Since(t0)
			s.mu.Lock()
			if try == 0 {
				s.sent++
				s.lat = append(s.lat, lat)
				s.sentAt = append(s.sentAt, t0)
				if code == 200 {
					s.ok++
				} else {
					s.errors++
				}
			} else {
				s.retries++
			}
			s.mu.Unlock()
			if code == 200 {
				answered[i].Store(true)
				if res.Outcome == "applied" {
					applied[i].Add(1)
				}
				return
			}
			if time.Now().After(deadline) || !clustertest.Retryable(code, err) {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
	killed.Wait()
	recorded := map[string]bool{}
	rows, err := c.DB.Query(ctx, `SELECT webhook_id FROM webhook_events WHERE webhook_id LIKE $1`, prefix+"%")
	if err != nil {
		log.Fatal(err)
	}
	for rows.Next() {
		var id string
		rows.Scan(&id)
		recorded[id] = true
	}
	rows.Close()
	for i := range n {
		switch {
		case !answered[i].Load():
			s.gaveUp++
		case !recorded[hooks[i].ID]:
			s.lost++
		default:
			s.answered++
		}
		if applied[i].Load() > 1 {
			s.twice++
		}
	}
	return s
}

// commits runs init + 20 PUTs + commit at rate for d, over a few users,
// and reports the commit's latency.
func commits(ctx context.Context, p *clustertest.Program, c *clustertest.Cluster, rate int, d time.Duration) *stats {
	photos, err := clustertest.PersonPhotos()
	if err != nil {
		p.Fatal(err)
	}
	photos = photos[:20]
	var users []*clustertest.Client
	for i := range 8 {
		u, err := clustertest.Register(ctx, c.URL, fmt.Sprintf("committer%d@example.com", i))
		if err != nil {
			p.Fatal(err)
		}
		u.HTTP = newHTTPClient()
		users = append(users, u)
	}
	s := &stats{}
	s.rate, s.done = fixedRate(rate, d, nil, func(i int) {
		u := users[i%len(users)]
		fail := func(err error) {
			log.Printf("commit sequence %d: %v", i, err)
			s.mu.Lock()
			s.sent++
			s.errors++
			s.mu.Unlock()
		}
		_, id, ups, err := u.Init(ctx, fmt.Sprintf("commit%d", i%4), photos)
		if err != nil {
			fail(err)
			return
		}
		for j, up := range ups {
			if err := clustertest.Put(ctx, u.HTTP, up, photos[j].Data); err != nil {
				fail(err)
				return
			}
		}
		t0 := time.Now()
		code, raw, err := u.Do(ctx, "POST", "/api/lora/datasets/commit", nil, clustertest.CommitBody(id, ups), nil)
		lat := time.Since(t0)
		if err == nil && code != 200 {
			err = fmt.Errorf("commit: %d %.200s", code, raw)
		}
		if err != nil {
			fail(err)
			return
		}
		s.mu.Lock()
		s.sent++
		s.ok++
		s.lat = append(s.lat, lat)
		s.mu.Unlock()
	})
	return s
}

func freeAddr(p *clustertest.Program) string {
	addr, err := freeport.Addr()
	if err != nil {
		p.Fatal(err)
	}
	return addr
}

// captureProfile saves a CPU profile of secs from the replica's profiler
// and returns the top of it as `go tool pprof -top` prints it.
func captureProfile(addr, file string, d time.Duration) string {
	secs := max(1, int(d.Seconds()))
	resp, err := http.Get(fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", addr, secs))
	if err != nil {
		return "profile: " + err.Error() + "\n"
	}
	defer resp.Body.Close()
	f, err := os.Create(file)
	if err != nil {
		return "profile: " + err.Error() + "\n"
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return "profile: " + err.Error() + "\n"
	}
	f.Close()
	out, err := exec.Command("go", "tool", "pprof", "-top", "-nodecount=30", file).CombinedOutput()
	if err != nil {
		return fmt.Sprintf("go tool pprof: %v\n%s", errors.Unwrap(err), out)
	}
	// Drop pprof's header lines about the file.
	lines := strings.Split(string(out), "\n")
	for i, l := range lines {
		if strings.Contains(l, "flat%") {
			return strings.Join(lines[max(0, i-3):], "\n")
		}
	}
	return string(out)
}
