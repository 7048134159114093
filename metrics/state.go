package metrics

import (
	"context"
	"log/slog"
	"slices"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
)

// State collects, at each scrape, what the database and the queue hold:
// the same figures whichever process is scraped, so only serve exports
// them.
type State struct {
	Pool      *pgxpool.Pool
	Inspector *asynq.Inspector // nil: the queue runs in-process, no depth to report
}

var (
	queueDepthDesc = prometheus.NewDesc("saoyue_queue_depth", "Tasks in an asynq queue by state (pending, active, scheduled, retry, archived).",
		[]string{"queue", "state"}, nil)
	pagesDesc      = prometheus.NewDesc("saoyue_pages", "Pages by status.", []string{"status"}, nil)
	exceptionsDesc = prometheus.NewDesc("saoyue_exceptions_open", "Exceptions waiting for a person, by school.",
		[]string{"school"}, nil)
	marksDesc = prometheus.NewDesc("saoyue_marks_total", "Marks given, by exam, subject and question group; rate()*60 is marks per minute.",
		[]string{"exam", "subject", "group"}, nil)
	leasesDesc = prometheus.NewDesc("saoyue_marking_leases_expired", "Marking tasks whose marker's lease ran out before a mark came.",
		nil, nil)
	scrapeErrDesc = prometheus.NewDesc("saoyue_state_scrape_errors", "State queries that failed in this scrape.", nil, nil)
)

func (s *State) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{queueDepthDesc, pagesDesc, exceptionsDesc, marksDesc, leasesDesc, scrapeErrDesc} {
		ch <- d
	}
}

// stateQueries are the database's figures: each row is the labels, then
// the value.
var stateQueries = []struct {
	desc  *prometheus.Desc
	kind  prometheus.ValueType
	query string
}{
	{pagesDesc, prometheus.GaugeValue, `SELECT status, count(*) FROM pages GROUP BY status`},
	{exceptionsDesc, prometheus.GaugeValue, `
		SELECT coalesce(s.code, ''), count(*) FROM exceptions e
		LEFT JOIN batches b ON b.id = e.batch_id LEFT JOIN schools s ON s.id = b.school_id
		WHERE e.status <> 'resolved' GROUP BY 1`},
	{marksDesc, prometheus.CounterValue, `
		SELECT x.code, s.name, g.code, count(*) FROM marks m
		JOIN marking_tasks k ON k.id = m.task_id JOIN question_groups g ON g.id = k.group_id
		JOIN subjects s ON s.id = g.subject_id JOIN exams x ON x.id = s.exam_id GROUP BY 1, 2, 3`},
	{leasesDesc, prometheus.GaugeValue, `SELECT count(*) FROM marking_tasks WHERE status = 'leased' AND lease_until < now()`},
}

func (s *State) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	errs := 0
	for _, q := range stateQueries {
		if err := s.collectQuery(ctx, ch, q.desc, q.kind, q.query); err != nil {
			slog.Warn("metrics: state query failed", "metric", q.desc.String(), "err", err)
			errs++
		}
	}
	if s.Inspector != nil {
		if err := s.collectQueues(ch); err != nil {
			slog.Warn("metrics: queue depth", "err", err)
			errs++
		}
	}
	ch <- prometheus.MustNewConstMetric(scrapeErrDesc, prometheus.GaugeValue, float64(errs))
}

func (s *State) collectQuery(ctx context.Context, ch chan<- prometheus.Metric, d *prometheus.Desc, kind prometheus.ValueType, q string) error {
	rows, err := s.Pool.Query(ctx, q)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return err
		}
		labels := make([]string, 0, len(vals)-1)
		for _, v := range vals[:len(vals)-1] {
			labels = append(labels, v.(string))
		}
		ch <- prometheus.MustNewConstMetric(d, kind, float64(vals[len(vals)-1].(int64)), labels...)
	}
	return rows.Err()
}

func (s *State) collectQueues(ch chan<- prometheus.Metric) error {
	queues, err := s.Inspector.Queues()
	if err != nil {
		return err
	}
	// asynq knows a queue once a task was put in it; before the first bag
	// the default queue is reported empty, so that an alert has a series.
	if !slices.Contains(queues, "default") {
		for _, state := range []string{"pending", "active", "scheduled", "retry", "archived"} {
			ch <- prometheus.MustNewConstMetric(queueDepthDesc, prometheus.GaugeValue, 0, "default", state)
		}
	}
	for _, q := range queues {
		info, err := s.Inspector.GetQueueInfo(q)
		if err != nil {
			return err
		}
		for state, n := range map[string]int{"pending": info.Pending, "active": info.Active, "scheduled": info.Scheduled,
			"retry": info.Retry, "archived": info.Archived} {
			ch <- prometheus.MustNewConstMetric(queueDepthDesc, prometheus.GaugeValue, float64(n), q, state)
		}
	}
	return nil
}
