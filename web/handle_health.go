package web

import (
	"encoding/json"
	"net/http"
)

// handleHealth reports whether the database answers; load balancers and
// the demo's readiness check call it.
func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	status, code := map[string]string{"database": "ok", "blobs": s.Blobs.String()}, http.StatusOK
	if err := s.DB.Pool.Ping(r.Context()); err != nil {
		status["database"], code = err.Error(), http.StatusServiceUnavailable
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(status)
}
