// Package metrics exports what a centre watches on exam night to
// Prometheus: pages through the reader, task retries and HTTP latency as
// this process counts them, and the state everyone shares (queue depth,
// open exceptions, marks, expired leases) as the database and Redis say at
// each scrape. docs/OPERATIONS.md lists the series.
package metrics

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Counted by the process that does the work.
var (
	PagesReceived = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "saoyue_pages_received_total", Help: "Page images received and stored as new pages."})
	PagesRead = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "saoyue_pages_read_total", Help: "Page readings saved."})
	PagesExcepted = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "saoyue_pages_excepted_total", Help: "Page readings saved with at least one exception for a person."})
	PagesFailed = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "saoyue_pages_failed_total", Help: "Page readings saved as unreadable (registration, damaged, blank, wrong template)."})
	ReadDuration = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "saoyue_page_read_duration_seconds", Help: "Time the reader took for one page, memory wait and decode included.",
		Buckets: []float64{0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30}})
	TaskRetries = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "saoyue_task_retries_total", Help: "Task runs that were retries of an earlier failed run."}, []string{"type"})
	Tasks = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "saoyue_tasks_total", Help: "Task runs by type and result (ok, error)."}, []string{"type", "result"})
	HTTPDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "saoyue_http_request_duration_seconds", Help: "HTTP request latency by route pattern.",
		Buckets: prometheus.DefBuckets}, []string{"route", "code"})
)

// Registry is the process's registry: Go runtime, process, and the
// counters above.
var Registry = func() *prometheus.Registry {
	r := prometheus.NewRegistry()
	r.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		PagesReceived, PagesRead, PagesExcepted, PagesFailed, ReadDuration, TaskRetries, Tasks, HTTPDuration)
	return r
}()

// Handler serves /metrics: Registry, and state's figures when not nil.
// State goes in a registry of its own, per server, so that two servers in
// one process (tests) each report their own database.
func Handler(state *State) http.Handler {
	g := prometheus.Gatherers{Registry}
	if state != nil {
		r := prometheus.NewRegistry()
		r.MustRegister(state)
		g = append(g, r)
	}
	return promhttp.HandlerFor(g, promhttp.HandlerOpts{})
}

// TaskMiddleware wraps a task handler: counts each run's result, and a run that is
// a retry.
func TaskMiddleware(next asynq.Handler) asynq.Handler {
	return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
		if n, ok := asynq.GetRetryCount(ctx); ok && n > 0 {
			TaskRetries.WithLabelValues(t.Type()).Inc()
		}
		err := next.ProcessTask(ctx, t)
		result := "ok"
		if err != nil {
			result = "error"
		}
		Tasks.WithLabelValues(t.Type(), result).Inc()
		return err
	})
}

// Routes wraps the ServeMux itself, so that r.Pattern, which the mux sets
// on the request it is given, names the route: a label per route, not per
// URL (an exam code or a task id in a path would grow the series without
// end). Requests no route matched are "unmatched".
func Routes(mux http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		mux.ServeHTTP(sw, r)
		route := r.Pattern
		if route == "" {
			route = "unmatched"
		}
		HTTPDuration.WithLabelValues(route, strconv.Itoa(sw.code)).Observe(time.Since(start).Seconds())
	})
}

type statusWriter struct {
	http.ResponseWriter
	code  int
	wrote bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.code, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach Flush and deadlines.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
