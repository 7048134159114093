package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/saoyue/saoyue/blob"
	"github.com/saoyue/saoyue/store"
)

// Check is one dependency a readiness probe asks: it answers nil when the
// dependency is up.
type Check struct {
	Name string
	Ping func(ctx context.Context) error
}

// DatabaseCheck asks PostgreSQL.
func DatabaseCheck(db *store.DB) Check {
	return Check{"database", func(ctx context.Context) error { return db.Pool.Ping(ctx) }}
}

// BlobCheck asks the object store for a key that is never there: any answer
// but "not found" means the store is down or refuses us.
func BlobCheck(b blob.Store) Check {
	return Check{"blobs", func(ctx context.Context) error {
		_, err := b.Stat(ctx, "readyz/probe")
		if errors.Is(err, blob.ErrNotFound) {
			return nil
		}
		return err
	}}
}

// handleHealth: GET /healthz is liveness: the process answers. A load
// balancer restarts on it, so it asks nothing else.
func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"status":"ok"}` + "\n"))
}

// handleReady: GET /readyz asks every dependency (PostgreSQL, Redis when
// configured, object storage) and answers 503 naming the ones down.
func (s *Server) handleReady(w http.ResponseWriter, r *http.Request) {
	checks := s.Ready
	if checks == nil {
		checks = []Check{DatabaseCheck(s.DB), BlobCheck(s.Blobs)}
	}
	writeReady(w, r, checks)
}

// writeReady runs the checks, each with a short deadline, and answers what
// each said: 200 when all are up, 503 otherwise.
func writeReady(w http.ResponseWriter, r *http.Request, checks []Check) {
	status, code := map[string]string{}, http.StatusOK
	for _, c := range checks {
		ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
		err := c.Ping(ctx)
		cancel()
		status[c.Name] = "ok"
		if err != nil {
			status[c.Name], code = err.Error(), http.StatusServiceUnavailable
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(status)
}

// ReadyHandler serves /healthz and /readyz for a process without the web
// server: the worker.
func ReadyHandler(checks []Check) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", (*Server)(nil).handleHealth)
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) { writeReady(w, r, checks) })
	return mux
}
