// Package clustertest runs LoRA Studio's backend as a cluster on one
// machine for tests and benches: N `lorastudio serve` processes built from
// this module's source, on one throwaway Postgres database, one Redis
// (under a key prefix of their own) and one real MinIO, behind a
// round-robin proxy, with a fake GPU worker that counts dispatches. A
// replica can be killed with SIGKILL and restarted on the same port.
package clustertest

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/promptforge/lorastudio/internal/freeport"
	"github.com/promptforge/lorastudio/internal/pgtest"
	"github.com/promptforge/lorastudio/internal/s3test"
	"github.com/promptforge/lorastudio/internal/stdwebhook"
)

// Config shapes a cluster; the zero value is three replicas.
type Config struct {
	Replicas int               // default 3
	Env      map[string]string // added to (and overriding) every replica's environment
	// ReplicaEnv, if set, adds variables to replica i's environment only
	// (LORASTUDIO_PPROF_ADDR on one of them, say).
	ReplicaEnv func(i int) map[string]string
	// PoolMaxConns, when set, sizes each replica's Postgres pool
	// (pool_max_conns in its DATABASE_URL; pgx's default is 4 on 2 cores).
	PoolMaxConns int
	// TCP balances connections instead of requests (a Kubernetes Service,
	// a network load balancer): Proxy is then nil and a request cut by a
	// replica's death fails on the client's side instead of as a 502.
	TCP bool
}

// readyTimeout bounds one replica's start on a loaded machine.
const readyTimeout = 60 * time.Second

// Cluster is a running cluster.
type Cluster struct {
	URL            string // the proxy: what clients use
	Proxy          *Proxy // nil with Config.TCP
	tcp            *tcpProxy
	DatabaseURL    string
	DB             *pgxpool.Pool // for assertions on what was recorded
	S3             *s3test.Server
	Bucket         string
	Worker         *Worker
	RedisPrefix    string
	RedisURL       string
	DispatchSecret []byte // signs dispatches (the worker verifies them)
	WebhookSecret  []byte // webhooks must be signed with it

	tb       TB
	bin      string
	env      []string
	dir      string
	replicas []*Replica
	cfg      Config
}

// Served returns how many requests (with Config.TCP, connections) each
// replica was given through the balancer.
func (c *Cluster) Served() []int64 {
	if c.Proxy != nil {
		return served(c.Proxy.backends)
	}
	return served(c.tcp.backends)
}

// Replica is one serve process, restartable on the same address.
type Replica struct {
	Index int
	Addr  string // 127.0.0.1:PORT
	log   string // its stderr, across restarts

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
}

// Start builds the binary (once per process), creates the database,
// migrates it, starts MinIO, the fake worker, the replicas and the proxy,
// and returns once every replica answers /healthz. Everything stops when
// tb's cleanups run.
func Start(tb TB, cfg Config) *Cluster {
	tb.Helper()
	if cfg.Replicas == 0 {
		cfg.Replicas = 3
	}
	bin, err := Binary()
	if err != nil {
		tb.Fatal(err)
	}
	c := &Cluster{tb: tb, bin: bin, dir: tb.TempDir(), cfg: cfg}
	c.DatabaseURL = pgtest.NewDatabase(tb)
	c.S3 = s3test.Start(tb)
	c.Bucket = c.S3.NewBucket(tb)
	dispatch, webhook := stdwebhook.NewSecret(), stdwebhook.NewSecret()
	c.DispatchSecret, _ = stdwebhook.ParseSecret(dispatch)
	c.WebhookSecret, _ = stdwebhook.ParseSecret(webhook)
	c.Worker = startWorker(tb, c.DispatchSecret)
	c.RedisPrefix = "lorastudio-cluster-" + rand.Text() + ":"
	redisURL := os.Getenv("REDIS_URL")
	if redisURL == "" {
		redisURL = "redis://127.0.0.1:6379/0"
	}
	c.RedisURL = redisURL
	if err := pingRedis(redisURL); err != nil {
		// Without it each replica limits on its own: the shared limits
		// this harness is for would not be shared.
		tb.Fatalf("clustertest: Redis at %s (REDIS_URL): %v", redisURL, err)
	}
	tb.Cleanup(func() { dropRedisPrefix(redisURL, c.RedisPrefix) })

	hosts := make([]string, cfg.Replicas)
	ports, err := freeport.Ports(cfg.Replicas)
	if err != nil {
		tb.Fatal(err)
	}
	for i := range hosts {
		hosts[i] = "127.0.0.1:" + strconv.Itoa(ports[i])
	}
	if cfg.TCP {
		c.tcp, err = newTCPProxy(hosts)
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(c.tcp.close)
		c.URL = c.tcp.url()
	} else {
		c.Proxy, err = newProxy(hosts)
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(c.Proxy.close)
		c.URL = c.Proxy.URL
	}

	replicaDB := c.DatabaseURL
	if cfg.PoolMaxConns > 0 {
		u, err := url.Parse(replicaDB)
		if err != nil {
			tb.Fatal(err)
		}
		q := u.Query()
		q.Set("pool_max_conns", strconv.Itoa(cfg.PoolMaxConns))
		u.RawQuery = q.Encode()
		replicaDB = u.String()
	}
	env := map[string]string{
		"DATABASE_URL":                replicaDB,
		"REDIS_URL":                   redisURL,
		"LORASTUDIO_REDIS_PREFIX":     c.RedisPrefix,
		"LORASTUDIO_PUBLIC_URL":       c.URL, // dispatches carry the proxy's webhook URL
		"LORASTUDIO_STORAGE":          "s3",
		"LORASTUDIO_S3_ENDPOINT":      c.S3.Endpoint,
		"LORASTUDIO_S3_BUCKET":        c.Bucket,
		"LORASTUDIO_S3_REGION":        s3test.Region,
		"LORASTUDIO_S3_PATH_STYLE":    "true",
		"AWS_ACCESS_KEY_ID":           c.S3.AccessKey,
		"AWS_SECRET_ACCESS_KEY":       c.S3.SecretKey,
		"LORASTUDIO_WORKER_URL":       c.Worker.URL,
		"LORASTUDIO_DISPATCH_SECRET":  dispatch,
		"LORASTUDIO_WEBHOOK_SECRETS":  webhook,
		"LORASTUDIO_QUEUE_POLL":       "50ms",
		"LORASTUDIO_DISPATCH_BACKOFF": "100ms",
		// Each replica gets its share of the machine's cores, as a CPU
		// limit gives a container (Go reads it from the cgroup). With
		// Go's default, three replicas on two cores ran six schedulers
		// that spun and preempted each other for two cores.
		"GOMAXPROCS": strconv.Itoa(max(1, runtime.NumCPU()/len(hosts))),
	}
	for k, v := range cfg.Env {
		env[k] = v
	}
	c.env = os.Environ()
	for k, v := range env {
		c.env = append(c.env, k+"="+v) // later entries win
	}

	migrate := exec.Command(bin, "migrate")
	migrate.Env = append(c.env, "DATABASE_URL="+c.DatabaseURL) // database/sql knows no pool settings
	if out, err := migrate.CombinedOutput(); err != nil {
		tb.Fatalf("clustertest: migrate: %v\n%s", err, out)
	}
	ctx := context.Background()
	if c.DB, err = pgxpool.New(ctx, c.DatabaseURL); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(c.DB.Close) // before the database is dropped: cleanups run last first

	for i, h := range hosts {
		r := &Replica{Index: i, Addr: h, log: filepath.Join(c.dir, fmt.Sprintf("replica%d.log", i))}
		c.replicas = append(c.replicas, r)
	}
	tb.Cleanup(c.stop)
	var wg sync.WaitGroup
	errs := make([]error, len(c.replicas))
	for i, r := range c.replicas {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = c.start(r) }()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		tb.Fatalf("clustertest: %v", err)
	}
	return c
}

// Replicas returns the replicas, in the proxy's order.
func (c *Cluster) Replicas() []*Replica { return c.replicas }

// ReplicaURL is replica i's own address, bypassing the proxy.
func (c *Cluster) ReplicaURL(i int) string { return "http://" + c.replicas[i].Addr }

// Kill sends SIGKILL to replica i and waits until it is gone: requests in
// flight on it are cut, nothing of it runs any more.
func (c *Cluster) Kill(i int) {
	c.tb.Helper()
	r := c.replicas[i]
	r.mu.Lock()
	cmd, exited := r.cmd, r.exited
	r.cmd = nil
	r.mu.Unlock()
	if cmd == nil {
		c.tb.Fatalf("clustertest: replica %d is not running", i)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	<-exited
}

// KillBusy waits (up to 5 s) until replica i is working on at least one
// request the proxy sent it, then kills it as Kill does, so that answer is
// lost for sure. It reports whether a request was in flight.
func (c *Cluster) KillBusy(i int) bool {
	c.tb.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for c.Proxy.InFlight(i) == 0 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Microsecond)
	}
	busy := c.Proxy.InFlight(i) > 0
	c.Kill(i)
	return busy
}

// Restart starts replica i again on its address and waits until it is ready.
func (c *Cluster) Restart(i int) {
	c.tb.Helper()
	if err := c.start(c.replicas[i]); err != nil {
		c.tb.Fatalf("clustertest: restart: %v", err)
	}
}

// Log returns replica i's log so far (every run of it).
func (c *Cluster) Log(i int) string {
	b, _ := os.ReadFile(c.replicas[i].log)
	return string(b)
}

// Binary is the lorastudio binary the replicas run.
func (c *Cluster) Binary() string { return c.bin }

// Pid returns replica i's process id, 0 when it is not running.
func (c *Cluster) Pid(i int) int {
	r := c.replicas[i]
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cmd == nil {
		return 0
	}
	return r.cmd.Process.Pid
}

func (c *Cluster) start(r *Replica) error {
	logf, err := os.OpenFile(r.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	fmt.Fprintf(logf, "--- start %s\n", time.Now().Format(time.RFC3339Nano))
	cmd := exec.Command(c.bin, "serve", "--addr", r.Addr)
	cmd.Env = c.env
	if c.cfg.ReplicaEnv != nil {
		for k, v := range c.cfg.ReplicaEnv(r.Index) {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("replica %d: %w", r.Index, err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); logf.Close(); close(exited) }()
	r.mu.Lock()
	r.cmd, r.exited = cmd, exited
	r.mu.Unlock()

	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+r.Addr+"/healthz", nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-exited:
			return fmt.Errorf("replica %d exited before it was ready; its log:\n%s", r.Index, tail(r.log))
		case <-ctx.Done():
			return fmt.Errorf("replica %d not ready after %s; its log:\n%s", r.Index, readyTimeout, tail(r.log))
		case <-time.After(25 * time.Millisecond):
		}
	}
}

// stop ends every replica still running (SIGTERM, then SIGKILL after 10
// s) and, when the test failed, logs the end of each replica's log.
func (c *Cluster) stop() {
	var wg sync.WaitGroup
	for _, r := range c.replicas {
		r.mu.Lock()
		cmd, exited := r.cmd, r.exited
		r.cmd = nil
		r.mu.Unlock()
		if cmd == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-exited:
			case <-time.After(10 * time.Second):
				cmd.Process.Kill()
				<-exited
			}
		}()
	}
	wg.Wait()
	for _, r := range c.replicas {
		// A replica built with -race reports races on its stderr.
		if b, _ := os.ReadFile(r.log); bytes.Contains(b, []byte("WARNING: DATA RACE")) {
			c.tb.Errorf("replica %d found a data race; its log:\n%s", r.Index, b)
		}
	}
	if c.tb.Failed() {
		for _, r := range c.replicas {
			c.tb.Logf("replica %d log (end):\n%s", r.Index, tail(r.log))
		}
	}
}

// tail returns the last 6 KiB of the file at path.
func tail(path string) string {
	b, _ := os.ReadFile(path)
	if len(b) > 6<<10 {
		b = b[len(b)-6<<10:]
	}
	return string(b)
}

func pingRedis(url string) error {
	opt, err := redis.ParseURL(url)
	if err != nil {
		return err
	}
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return rdb.Ping(ctx).Err()
}

func dropRedisPrefix(url, prefix string) {
	opt, err := redis.ParseURL(url)
	if err != nil {
		return
	}
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	iter := rdb.Scan(ctx, 0, prefix+"*", 500).Iterator()
	for iter.Next(ctx) {
		rdb.Del(ctx, iter.Val())
	}
}
