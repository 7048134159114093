package main

import (
	"net/http"

	"github.com/hibiken/asynq"
	"github.com/hibiken/asynqmon"

	"github.com/saoyue/saoyue/metrics"
	"github.com/saoyue/saoyue/queue"
	"github.com/saoyue/saoyue/web"
)

// opsHandlers are serve's /metrics and, with Redis, the asynqmon dashboard
// (nil without Redis: the in-process queue has no dashboard). close
// releases their Redis connections.
func (a *app) opsHandlers(cfg *Config) (metricsH, dashboard http.Handler, close func()) {
	state := &metrics.State{Pool: a.db.Pool}
	if cfg.RedisAddr == "" {
		return metrics.Handler(state), nil, func() {}
	}
	state.Inspector = asynq.NewInspector(queue.RedisConn(cfg.RedisAddr))
	mon := asynqmon.New(asynqmon.Options{RootPath: web.QueueDashboardPath, RedisConnOpt: queue.RedisConn(cfg.RedisAddr)})
	return metrics.Handler(state), mon, func() {
		state.Inspector.Close()
		mon.Close()
	}
}
