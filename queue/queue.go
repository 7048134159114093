// Package queue holds saoyue's background work as asynq tasks: task types
// as domain:verb constants, typed JSON payloads, NewXxxTask constructors and
// handlers that hold their dependencies. The same handlers run under an
// asynq server against Redis (`saoyue worker`) or in-process when no Redis is
// configured (the embedded default of `saoyue serve` and `saoyue demo`).
package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hibiken/asynq"
)

// Enqueuer accepts tasks for background processing.
type Enqueuer interface {
	Enqueue(ctx context.Context, task *asynq.Task, opts ...asynq.Option) error
	Close() error
}

// Redis enqueues into Redis, for `saoyue worker` processes to run.
type Redis struct {
	client    *asynq.Client
	inspector *asynq.Inspector
}

// NewRedis connects an asynq client to addr (RedisConn).
func NewRedis(addr string) *Redis {
	return &Redis{client: asynq.NewClient(RedisConn(addr)), inspector: asynq.NewInspector(RedisConn(addr))}
}

// RedisConn parses SAOYUE_REDIS_ADDR: "host:port[/db]" for one Redis, or
// "sentinel://MASTER@host1:26379,host2:26379[/db]" for the master a set of
// Redis Sentinels names (asynq's RedisFailoverClientOpt), so that a
// failover moves the queue to the new master without a restart.
func RedisConn(addr string) asynq.RedisConnOpt {
	rest, ok := strings.CutPrefix(addr, "sentinel://")
	if !ok {
		return RedisOpt(addr)
	}
	master, hosts, _ := strings.Cut(rest, "@")
	db := 0
	if i := strings.LastIndex(hosts, "/"); i > 0 {
		if n, err := strconv.Atoi(hosts[i+1:]); err == nil {
			hosts, db = hosts[:i], n
		}
	}
	return asynq.RedisFailoverClientOpt{MasterName: master, SentinelAddrs: strings.Split(hosts, ","), DB: db}
}

// RedisOpt parses "host:port[/db]".
func RedisOpt(addr string) asynq.RedisClientOpt {
	if i := strings.LastIndex(addr, "/"); i > 0 {
		if n, err := strconv.Atoi(addr[i+1:]); err == nil {
			return asynq.RedisClientOpt{Addr: addr[:i], DB: n}
		}
	}
	return asynq.RedisClientOpt{Addr: addr}
}

// Enqueue treats a task whose id is already queued as done: handlers are
// idempotent, and the unique id is what keeps a page from being processed
// twice at the same time.
func (r *Redis) Enqueue(ctx context.Context, task *asynq.Task, opts ...asynq.Option) error {
	_, err := r.client.EnqueueContext(ctx, task, opts...)
	if errors.Is(err, asynq.ErrTaskIDConflict) || errors.Is(err, asynq.ErrDuplicateTask) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("enqueue %s: %w", task.Type(), err)
	}
	return nil
}

// EnqueueAgain queues a task whose work was lost after it completed: a
// finished task's id is kept for its retention (newTask), and Enqueue then
// takes the id as queued, so the sweep could not queue a page again whose
// reading the database lost in a failover (the reading commits without
// waiting for the standby) until the retention ran out. A task still
// pending, retrying or running keeps its id as before.
func (r *Redis) EnqueueAgain(ctx context.Context, task *asynq.Task, opts ...asynq.Option) error {
	_, err := r.client.EnqueueContext(ctx, task, opts...)
	if err == nil || errors.Is(err, asynq.ErrDuplicateTask) {
		return nil
	}
	if !errors.Is(err, asynq.ErrTaskIDConflict) {
		return fmt.Errorf("enqueue %s: %w", task.Type(), err)
	}
	queueName, id := "default", ""
	for _, o := range opts {
		switch o.Type() {
		case asynq.QueueOpt:
			queueName = o.Value().(string)
		case asynq.TaskIDOpt:
			id = o.Value().(string)
		}
	}
	info, err := r.inspector.GetTaskInfo(queueName, id)
	if err != nil || info.State != asynq.TaskStateCompleted {
		return nil // gone meanwhile, or still to run: as Enqueue
	}
	if err := r.inspector.DeleteTask(queueName, id); err != nil && !errors.Is(err, asynq.ErrTaskNotFound) {
		return fmt.Errorf("enqueue %s again: %w", task.Type(), err)
	}
	return r.Enqueue(ctx, task, opts...)
}

func (r *Redis) Close() error { return errors.Join(r.client.Close(), r.inspector.Close()) }

// Ping reports whether Redis answers: the readiness check calls it.
func (r *Redis) Ping(context.Context) error {
	if err := r.client.Ping(); err != nil {
		return fmt.Errorf("redis: %w", err)
	}
	return nil
}

// DefaultConcurrency is how many tasks a worker runs at once: thirty-two
// per core. Only reading a page keeps a core busy, and the page handler
// reads no more pages at once than there are cores (handler.Deps.ReadSlots);
// the other tasks meanwhile fetch their pages, wait for their crops' pack
// and their batch's lock, and store their results, so that a core finishing
// a page finds the next one fetched. A page whose crops are cut waits up to
// a quarter of a second for the pages read beside it to share one object
// (handler's cropPacker): with eight tasks per core those waiting pages,
// with the readings queued behind the batch's lock, now and then held every
// task and left both cores idle (20-80 ms gaps with no page read). Tasks
// waiting cost a page image each in memory, about a quarter of a megabyte.
// The pipeline benchmark in BENCHMARKS.md measures the effect.
func DefaultConcurrency() int { return 32 * runtime.NumCPU() }

// NewServer returns an asynq server for `saoyue worker`.
func NewServer(addr string, concurrency int, logger *slog.Logger) *asynq.Server {
	return asynq.NewServer(RedisConn(addr), asynq.Config{
		Concurrency:     concurrency,
		ShutdownTimeout: 20 * time.Second,
		// When it finds the queue empty, asynq sleeps half this interval plus
		// up to a whole one before asking again: with its default of a
		// second, the first page of a bag reaching an idle worker waited up
		// to 1.5 s before anyone looked at it, and a scan station feeding
		// pages more slowly than the workers read them saw each page wait so.
		// At 50 ms the benchmark's first page still waited 25-75 ms with
		// both cores idle, and a worker that had drained the queue as much
		// again. Asking Redis a hundred times a second when there is nothing
		// to do cost it no more than twenty times (0.3% of a core either
		// way, measured; once a millisecond: 0.7%).
		TaskCheckInterval: 10 * time.Millisecond,
		Logger:            slogAdapter{logger},
		ErrorHandler: asynq.ErrorHandlerFunc(func(ctx context.Context, task *asynq.Task, err error) {
			logger.Warn("task failed", "type", task.Type(), "err", err)
		}),
	})
}

// InProcess runs tasks on goroutines of this process with the same retry,
// timeout and unique-id rules as the asynq server, so the embedded default
// behaves like production minus durability across restarts.
type InProcess struct {
	handler asynq.Handler
	logger  *slog.Logger
	sem     chan struct{}
	wg      sync.WaitGroup
	mu      sync.Mutex
	running map[string]bool
	closed  bool
	baseCtx context.Context
	cancel  context.CancelFunc
	// Backoff between attempts; asynq's default grows too slowly for a demo.
	Backoff func(attempt int) time.Duration
}

// NewInProcess runs at most concurrency tasks at once.
func NewInProcess(handler asynq.Handler, concurrency int, logger *slog.Logger) *InProcess {
	ctx, cancel := context.WithCancel(context.Background())
	return &InProcess{
		handler: handler,
		logger:  logger,
		sem:     make(chan struct{}, concurrency),
		running: map[string]bool{},
		baseCtx: ctx,
		cancel:  cancel,
		Backoff: func(attempt int) time.Duration { return time.Duration(attempt*attempt) * 100 * time.Millisecond },
	}
}

// SetHandler sets the handler after construction: handlers enqueue
// follow-up tasks into the same queue, so the two refer to each other.
func (q *InProcess) SetHandler(h asynq.Handler) {
	q.mu.Lock()
	q.handler = h
	q.mu.Unlock()
}

func (q *InProcess) Enqueue(ctx context.Context, task *asynq.Task, opts ...asynq.Option) error {
	maxRetry, timeout, id := 25, 30*time.Minute, ""
	for _, o := range opts {
		switch o.Type() {
		case asynq.MaxRetryOpt:
			maxRetry = o.Value().(int)
		case asynq.TimeoutOpt:
			timeout = o.Value().(time.Duration)
		case asynq.TaskIDOpt:
			id = o.Value().(string)
		}
	}
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return fmt.Errorf("enqueue %s: queue is shut down", task.Type())
	}
	if id != "" {
		if q.running[id] {
			q.mu.Unlock()
			return nil
		}
		q.running[id] = true
	}
	q.wg.Add(1)
	q.mu.Unlock()

	go func() {
		defer q.wg.Done()
		defer func() {
			if id != "" {
				q.mu.Lock()
				delete(q.running, id)
				q.mu.Unlock()
			}
		}()
		for attempt := 0; ; attempt++ {
			select {
			case q.sem <- struct{}{}:
			case <-q.baseCtx.Done():
				return
			}
			err := q.run(task, timeout)
			<-q.sem
			if err == nil {
				return
			}
			if errors.Is(err, asynq.SkipRetry) || attempt >= maxRetry {
				q.logger.Warn("task failed for good", "type", task.Type(), "attempts", attempt+1, "err", err)
				return
			}
			q.logger.Debug("task failed, will retry", "type", task.Type(), "attempt", attempt+1, "err", err)
			select {
			case <-time.After(q.Backoff(attempt + 1)):
			case <-q.baseCtx.Done():
				return
			}
		}
	}()
	return nil
}

func (q *InProcess) run(task *asynq.Task, timeout time.Duration) (err error) {
	ctx, cancel := context.WithTimeout(q.baseCtx, timeout)
	defer cancel()
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("task %s panicked: %v", task.Type(), r)
		}
	}()
	q.mu.Lock()
	h := q.handler
	q.mu.Unlock()
	if h == nil {
		return fmt.Errorf("no handler for %s yet", task.Type())
	}
	return h.ProcessTask(ctx, task)
}

// Wait blocks until every enqueued task has finished (including retries).
func (q *InProcess) Wait() { q.wg.Wait() }

// Close stops accepting tasks and abandons pending retries.
func (q *InProcess) Close() error {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.cancel()
	q.wg.Wait()
	return nil
}

// slogAdapter lets asynq log through log/slog.
type slogAdapter struct{ l *slog.Logger }

func (a slogAdapter) Debug(args ...any) { a.l.Debug(fmt.Sprint(args...)) }
func (a slogAdapter) Info(args ...any)  { a.l.Info(fmt.Sprint(args...)) }
func (a slogAdapter) Warn(args ...any)  { a.l.Warn(fmt.Sprint(args...)) }
func (a slogAdapter) Error(args ...any) { a.l.Error(fmt.Sprint(args...)) }
func (a slogAdapter) Fatal(args ...any) { a.l.Error(fmt.Sprint(args...)) }
