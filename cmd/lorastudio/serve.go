package main

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"net"
	"runtime/debug"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/promptforge/lorastudio/backend/api"
	"github.com/promptforge/lorastudio/backend/pgstore"
	"github.com/promptforge/lorastudio/backend/purge"
	"github.com/promptforge/lorastudio/backend/training"
	"github.com/promptforge/lorastudio/internal/dataset"
	"github.com/promptforge/lorastudio/internal/telemetry"
	"github.com/promptforge/lorastudio/migrations"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

const serveEnvHelp = `
environment:
  DATABASE_URL               Postgres URL (default ` + migrations.DefaultPostgresURL + `)
  REDIS_URL                  share rate limits between replicas through Redis (default: in memory;
                             while Redis is down, limits are kept in memory, never dropped)
  LORASTUDIO_REDIS_PREFIX    prefix of the rate-limit keys in Redis; replicas share limits when they share it
                             (default lorastudio:)
  LORASTUDIO_RATE_LIMITS     override per-user (per-address before sign-in) limits: space-separated
                             BUCKET=PER_MINUTE/BURST of upload (60/20), jobs (10/5), auth (20/10), logs (120/20)
  LORASTUDIO_HASH_MEMORY_MB  memory password hashing may use at once, 64 MiB a sign-in (default 64 per two cores, at most 320)
  SENTRY_DSN                 report panics and 5xx to Sentry (nothing is sent without it)
  LORASTUDIO_LOG_LEVEL       debug, info (default), warn or error
  LORASTUDIO_ENV             environment name reported to Sentry (default development)
  LORASTUDIO_PUBLIC_URL      the URL clients reach this server at (default http://<addr>)
  LORASTUDIO_STORAGE         local (default), s3 or r2
  LORASTUDIO_BLOB_DIR        the local signed store's folder (default $XDG_DATA_HOME/lorastudio/blob)
  LORASTUDIO_BLOB_SECRET     the local store's signing key, >= 32 bytes (default: made once, kept there)
  LORASTUDIO_S3_BUCKET, LORASTUDIO_S3_REGION, LORASTUDIO_S3_ENDPOINT, LORASTUDIO_S3_PATH_STYLE
                             S3/R2/MinIO; credentials from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or the AWS chain
  LORASTUDIO_UPLOAD_TTL      lifetime of presigned URLs (default 15m)
  LORASTUDIO_MULTIPART_FROM  files of at least this many bytes upload in parts (default 8388608)
  LORASTUDIO_QUOTA_BYTES     what one user's datasets may hold, in bytes (default 2147483648)
  LORASTUDIO_QUOTA_FILES     how many photos they may hold (default 500)
  LORASTUDIO_GPU_PROVIDER    the self-hosted worker's operator, named in consents (default "self-hosted GPU worker");
                             consents name Replicate, Inc. with LORASTUDIO_PROVIDER=replicate, no GPU provider with none
  LORASTUDIO_RETENTION_DAYS  days from consent until the purge erases a user's photos and trained files (default 365)
  LORASTUDIO_PPROF_ADDR      serve Go's profiler (net/http/pprof) on this host:port, e.g. 127.0.0.1:6060
                             (default off; never on a public address)
  LORASTUDIO_DECODE_MEMORY   bytes the image decodes of all validations may take at once; more wait (default 536870912);
                             the GC's soft limit is set 128 MiB above it unless GOMEMLIMIT is set
` + trainingEnvHelp

func databaseURL(c *cli) string {
	if u := c.getenv("DATABASE_URL"); u != "" {
		return u
	}
	return migrations.DefaultPostgresURL
}

func runServe(ctx context.Context, c *cli, args []string) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "listen address `host:port` (port 0 picks a free one)")
	fs.Usage = func() {
		fmt.Fprintln(c.stderr, "usage: lorastudio serve [--addr HOST:PORT]")
		fs.PrintDefaults()
		fmt.Fprint(c.stderr, serveEnvHelp)
	}
	if err := fs.Parse(args); err != nil {
		return usageExit(err)
	}
	log, err := telemetry.NewLogger(c.stderr, c.getenv("LORASTUDIO_LOG_LEVEL"))
	if err != nil {
		fmt.Fprintln(c.stderr, "lorastudio serve:", err)
		return exitUsage
	}
	env := c.getenv("LORASTUDIO_ENV")
	if env == "" {
		env = "development"
	}
	sentryOn, flush, err := telemetry.Sentry(c.getenv("SENTRY_DSN"), "lorastudio@"+version, env)
	if err != nil {
		log.Error("sentry disabled", "err", err)
	}
	defer flush()

	pool, err := pgxpool.New(ctx, databaseURL(c))
	if err != nil {
		log.Error("bad DATABASE_URL", "err", err)
		return exitFail
	}
	defer pool.Close()

	// Listen first: the local store signs URLs with the address clients use.
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Error("listen", "addr", *addr, "err", err)
		return exitFail
	}
	cfg, err := backendConfig(c, "http://"+ln.Addr().String())
	if err != nil {
		ln.Close()
		log.Error("configuration", "err", err)
		return exitUsage
	}
	store := pgstore.New(pool)
	cfg.Store, cfg.Log, cfg.Version, cfg.Sentry = store, log, version, sentryOn
	// The decode budget counts live bytes; a soft memory limit just above
	// it makes the GC return finished decodes before new ones grow the heap
	// (8 admitted 24 MP PNGs at once under 512 MiB: peak RSS +836 MB
	// without, +624 MB with). GOMEMLIMIT, when set, wins.
	if c.getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(cmp.Or(cfg.DecodeMemory, dataset.DefaultDecodeMemory) + 128<<20)
	}
	startQueue, stopQueue, err := setupTraining(c, &cfg, store, publicURL(c, ln), log)
	if err != nil {
		ln.Close()
		log.Error("configuration", "err", err)
		return exitUsage
	}
	if startQueue != nil {
		// River picks up dispatches left by a previous run: nothing is lost on restart.
		if err := startQueue(ctx); err != nil {
			ln.Close()
			log.Error("dispatch queue", "err", err)
			return exitFail
		}
		defer func() {
			sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			if err := stopQueue(sctx); err != nil {
				log.Error("dispatch queue stop", "err", err)
			}
		}()
	}
	// Users whose consent's retention ran out, expired idempotency keys,
	// old webhook ids and abandoned uploads go hourly; the loop stops before the pool closes.
	pctx, stopPurge := context.WithCancel(ctx)
	purged := make(chan struct{})
	go func() {
		defer close(purged)
		purge.Run(pctx, purge.Config{Store: store, Blobs: cfg.Blobs, Provider: cfg.Training.Provider, Log: log})
	}()
	defer func() { stopPurge(); <-purged }()
	if in := cfg.Training.Ingester; in != nil && in.Replicate != nil {
		// Replicate jobs silent for 10 minutes are polled every 5: a lost
		// completed webhook would leave them running forever.
		rctx, stopReconcile := context.WithCancel(ctx)
		reconciled := make(chan struct{})
		go func() {
			defer close(reconciled)
			(&training.Reconciler{Ingester: in, Log: log}).Run(rctx)
		}()
		defer func() { stopReconcile(); <-reconciled }()
	}
	if a := c.getenv("LORASTUDIO_PPROF_ADDR"); a != "" {
		_, stop, err := servePprof(a, log)
		if err != nil {
			ln.Close()
			log.Error("LORASTUDIO_PPROF_ADDR", "err", err)
			return exitUsage
		}
		defer stop()
	}
	srv := newHTTPServer(api.New(cfg))
	log.Info("listening", "addr", ln.Addr().String(), "version", version, "sentry", sentryOn,
		"storage", cfg.Processors[0], "rate_limits", limiterName(c))

	// The grace period lets requests in flight finish before the pool closes.
	return serveUntilDone(ctx, log, srv, ln, 15*time.Second)
}

func runMigrate(ctx context.Context, c *cli, args []string) int {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	fs.Usage = func() {
		fmt.Fprintln(c.stderr, "usage: lorastudio migrate\n\nApplies every pending Postgres migration.")
		fmt.Fprint(c.stderr, "\nenvironment:\n  DATABASE_URL  Postgres URL (default "+migrations.DefaultPostgresURL+")\n")
	}
	if err := fs.Parse(args); err != nil {
		return usageExit(err)
	}
	db, err := sql.Open("pgx", databaseURL(c))
	if err != nil {
		fmt.Fprintln(c.stderr, "lorastudio migrate:", err)
		return exitFail
	}
	defer db.Close()
	res, err := migrations.UpPostgres(ctx, db)
	if err != nil {
		fmt.Fprintln(c.stderr, "lorastudio migrate:", err)
		return exitFail
	}
	pool, err := pgxpool.New(ctx, databaseURL(c))
	if err != nil {
		fmt.Fprintln(c.stderr, "lorastudio migrate:", err)
		return exitFail
	}
	defer pool.Close()
	river, err := pgstore.MigrateRiver(ctx, pool) // River's tables, by River's own migrator
	if err != nil {
		fmt.Fprintln(c.stderr, "lorastudio migrate:", err)
		return exitFail
	}
	for _, v := range river {
		fmt.Fprintf(c.stdout, "migrate: applied river migration %03d\n", v)
	}
	if len(res) == 0 && len(river) == 0 {
		fmt.Fprintln(c.stdout, "migrate: database is up to date")
	}
	for _, r := range res {
		fmt.Fprintf(c.stdout, "migrate: applied %s (%s)\n", r.Source.Path, r.Duration.Round(time.Millisecond))
	}
	return exitOK
}

// usageExit maps a flag parse error to an exit code: --help is a success.
func usageExit(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	return exitUsage
}

// publicURL is the URL clients and providers reach this server at.
func publicURL(c *cli, ln net.Listener) string {
	if u := strings.TrimRight(c.getenv("LORASTUDIO_PUBLIC_URL"), "/"); u != "" {
		return u
	}
	return "http://" + ln.Addr().String()
}
