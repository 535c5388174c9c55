package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Connection limits of serve and worker. Bodies have their own deadlines
// where they are read (the local store's minimum rate, the webhook's
// total), so there is no ReadTimeout: it would cut large uploads too.
const (
	readHeaderTimeout = 10 * time.Second
	idleTimeout       = 120 * time.Second
	maxHeaderBytes    = 64 << 10 // presigned URLs and tokens fit many times over
)

// newHTTPServer returns the server of serve and worker, with the limits
// above against clients that hold connections open.
func newHTTPServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
	}
}

// serveUntilDone serves srv on ln until ctx is done, then lets requests in
// flight finish for up to grace. serve and worker share it so both stop
// the same way on SIGTERM.
func serveUntilDone(ctx context.Context, log *slog.Logger, srv *http.Server, ln net.Listener, grace time.Duration) int {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		log.Error("serve", "err", err)
		return exitFail
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Error("shutdown", "err", err)
		return exitFail
	}
	log.Info("stopped")
	return exitOK
}
