package main

import (
	"fmt"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/saoyue/saoyue/queue"
	"github.com/saoyue/saoyue/queue/handler"
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
			mux := handler.NewMux(handler.Deps{DB: db, Blobs: blobs, Queue: follow, ReadMemory: readMemory})
			srv := queue.NewServer(cfg.RedisAddr, concurrency, slog.Default())
			if err := srv.Start(mux); err != nil {
				return fmt.Errorf("start worker: %w", err)
			}
			slog.Info("worker running", "redis", cfg.RedisAddr, "blobs", blobs.String(), "concurrency", concurrency, "read_memory", readMemory)
			go (&handler.Sweep{DB: db, Queue: follow}).Run(ctx, sweepEvery)
			<-ctx.Done()
			srv.Shutdown()
			return nil
		},
	}
	cmd.Flags().IntVar(&concurrency, "concurrency", queue.DefaultConcurrency(), "tasks run at once (32 per core; pages are read one per core at a time, the other tasks fetch and store meanwhile)")
	return cmd
}
