package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/promptforge/lorastudio/backend/api"
	"github.com/promptforge/lorastudio/internal/telemetry"
	"github.com/promptforge/lorastudio/migrations"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

const serveEnvHelp = `
environment:
  DATABASE_URL           Postgres URL (default ` + migrations.DefaultPostgresURL + `)
  SENTRY_DSN             report panics and 5xx to Sentry (nothing is sent without it)
  LORASTUDIO_LOG_LEVEL   debug, info (default), warn or error
  LORASTUDIO_ENV         environment name reported to Sentry (default development)
`

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

	srv := &http.Server{
		Handler:           api.New(api.Config{DB: pool, Log: log, Version: version, Sentry: sentryOn}),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Error("listen", "addr", *addr, "err", err)
		return exitFail
	}
	log.Info("listening", "addr", ln.Addr().String(), "version", version, "sentry", sentryOn)

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		log.Error("serve", "err", err)
		return exitFail
	case <-ctx.Done():
	}
	// Let requests in flight finish before the pool closes.
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Error("shutdown", "err", err)
		return exitFail
	}
	log.Info("stopped")
	return exitOK
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
	if len(res) == 0 {
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
