package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/saoyue/saoyue/blob"
	"github.com/saoyue/saoyue/queue"
	"github.com/saoyue/saoyue/queue/handler"
	"github.com/saoyue/saoyue/store"
	"github.com/saoyue/saoyue/web"
)

func newServeCmd(cfg *Config) *cobra.Command {
	return &cobra.Command{
		Use:   "serve",
		Short: "Run the HTTP server (and, without Redis, the task queue in-process)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			app, err := openApp(ctx, cfg)
			if err != nil {
				return err
			}
			defer app.Close()
			return app.serve(ctx, cfg, nil)
		},
	}
}

// sweepEvery is how often lost tasks are looked for (handler.Sweep).
const sweepEvery = 30 * time.Second

// app is the wired server: database, blobs, and a queue that is either Redis
// (workers run elsewhere) or in-process.
type app struct {
	db     *store.DB
	blobs  blob.Store
	queue  queue.Enqueuer
	inproc *queue.InProcess
}

func openApp(ctx context.Context, cfg *Config) (*app, error) {
	db, err := openDB(ctx, cfg)
	if err != nil {
		return nil, err
	}
	blobs, err := openBlobs(ctx, cfg)
	if err != nil {
		db.Close()
		return nil, err
	}
	a := &app{db: db, blobs: blobs}
	if cfg.RedisAddr != "" {
		a.queue = queue.NewRedis(cfg.RedisAddr)
	} else {
		slog.Info("no Redis configured; running background tasks in-process")
		a.inproc = queue.NewInProcess(nil, queue.DefaultConcurrency(), slog.Default())
		a.queue = a.inproc
		readMemory, err := cfg.ReadMemoryBytes()
		if err != nil {
			db.Close()
			return nil, err
		}
		a.inproc.SetHandler(handler.NewMux(handler.Deps{DB: db, Blobs: blobs, Queue: a.inproc, ReadMemory: readMemory, Fonts: cfg.Fonts}))
	}
	return a, nil
}

// readyChecks are what /readyz asks: PostgreSQL, Redis when the queue is
// there, and the object store.
func (a *app) readyChecks() []web.Check {
	checks := []web.Check{web.DatabaseCheck(a.db), web.BlobCheck(a.blobs)}
	if r, ok := a.queue.(*queue.Redis); ok {
		checks = append(checks, web.Check{Name: "redis", Ping: r.Ping})
	}
	return checks
}

func (a *app) Close() {
	_ = a.queue.Close()
	a.db.Close()
}

// serve runs the HTTP server until ctx ends. ready, if not nil, receives the
// URL once the listener is open.
func (a *app) serve(ctx context.Context, cfg *Config, ready func(url string)) error {
	if (cfg.TLSCert == "") != (cfg.TLSKey == "") {
		return fmt.Errorf("HTTPS needs both --tls-cert and --tls-key (SAOYUE_TLS_CERT, SAOYUE_TLS_KEY)")
	}
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.HTTPAddr, err)
	}
	return a.serveOn(ctx, cfg, ln, ready)
}

// serveOn is serve on a listener bound already (the demo binds its port
// before its long pipeline run, so a busy port cannot fail it at the end).
func (a *app) serveOn(ctx context.Context, cfg *Config, ln net.Listener, ready func(url string)) error {
	if a.inproc != nil {
		// With Redis, `saoyue worker` sweeps; in-process, the server does.
		go (&handler.Sweep{DB: a.db, Queue: a.inproc}).Run(ctx, sweepEvery)
	}
	ws := web.NewServer(a.db, a.blobs, slog.Default())
	ws.CJKFont = cfg.Fonts.CJK
	ws.Ingester = &queue.Ingester{DB: a.db, Blobs: a.blobs, Queue: a.queue}
	ws.SecureCookies = cfg.SecureCookies
	ws.Ready = a.readyChecks()
	var closeOps func()
	ws.Metrics, ws.QueueDashboard, closeOps = a.opsHandlers(cfg)
	defer closeOps()
	srv := &http.Server{Handler: ws.Handler(), ReadHeaderTimeout: 10 * time.Second}
	scheme := "http"
	if cfg.TLSCert != "" {
		scheme = "https"
	}
	url := scheme + "://" + ln.Addr().String() + "/"
	slog.Info("serving", "url", url)
	if ready != nil {
		ready(url)
	}
	errc := make(chan error, 1)
	go func() {
		if cfg.TLSCert != "" {
			errc <- srv.ServeTLS(ln, cfg.TLSCert, cfg.TLSKey)
			return
		}
		errc <- srv.Serve(ln)
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
