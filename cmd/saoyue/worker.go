package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/saoyue/saoyue/metrics"
	"github.com/saoyue/saoyue/queue"
	"github.com/saoyue/saoyue/queue/handler"
	"github.com/saoyue/saoyue/web"
)

func newWorkerCmd(cfg *Config) *cobra.Command {
	var concurrency int
	cmd := &cobra.Command{
		Use:   "worker",
		Short: "Run background tasks (reading pages, scoring) from the Redis queue",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if cfg.RedisAddr == "" {
				return fmt.Errorf("no Redis configured (SAOYUE_REDIS_ADDR or --redis-addr): without it `saoyue serve` runs the tasks in-process and no separate worker is needed")
			}
			readMemory, err := cfg.ReadMemoryBytes()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			db, err := openDB(ctx, cfg)
			if err != nil {
				return err
			}
			defer db.Close()
			blobs, err := openBlobs(ctx, cfg)
			if err != nil {
				return err
			}
			follow := queue.NewRedis(cfg.RedisAddr)
			defer follow.Close()
			mux := handler.NewMux(handler.Deps{DB: db, Blobs: blobs, Queue: follow, ReadMemory: readMemory, Fonts: cfg.Fonts})
			srv := queue.NewServer(cfg.RedisAddr, concurrency, slog.Default())
			if err := srv.Start(mux); err != nil {
				return fmt.Errorf("start worker: %w", err)
			}
			slog.Info("worker running", "redis", cfg.RedisAddr, "blobs", blobs.String(), "concurrency", concurrency, "read_memory", readMemory)
			go (&handler.Sweep{DB: db, Queue: follow}).Run(ctx, sweepEvery)
			if cfg.HealthAddr != "" {
				checks := []web.Check{web.DatabaseCheck(db), web.BlobCheck(blobs), {Name: "redis", Ping: follow.Ping}}
				h := http.NewServeMux()
				h.Handle("GET /metrics", metrics.Handler(nil)) // the process's counters; serve has the shared state
				h.Handle("/", web.ReadyHandler(checks))
				if err := serveHealth(ctx, cfg.HealthAddr, h); err != nil {
					srv.Shutdown()
					return err
				}
			}
			<-ctx.Done()
			srv.Shutdown()
			return nil
		},
	}
	cmd.Flags().IntVar(&concurrency, "concurrency", queue.DefaultConcurrency(), "tasks run at once (32 per core; pages are read one per core at a time, the other tasks fetch and store meanwhile)")
	return cmd
}

// serveHealth answers /healthz, /readyz and /metrics on addr until ctx ends, so an
// orchestrator can tell a stuck worker from a live one.
func serveHealth(ctx context.Context, addr string, h http.Handler) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("health listener on %s: %w", addr, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	slog.Info("worker health", "url", "http://"+ln.Addr().String()+"/readyz")
	return nil
}
