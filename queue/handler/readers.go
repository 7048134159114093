package handler

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/saoyue/saoyue/card"
	"github.com/saoyue/saoyue/omr"
	"github.com/saoyue/saoyue/store"
)

// Readers keeps one OMR reader per subject's set of templates. Building a
// reader renders and rasterises the blank cards, which takes a second, so
// it is done once per template version, not per page. It keeps each exam's
// roster too, which ForBag joins to the subject's reader.
type Readers struct {
	DB      *store.DB
	Options omr.Options

	mu      sync.Mutex
	cache   map[int64]*cachedReader
	rosters map[int64]*cachedRoster // by exam
}

type cachedReader struct {
	key     string
	reader  *omr.Reader
	ready   chan struct{}
	err     error
	checked time.Time // when the template list was last compared
}

// recheck is how long a subject's template list is trusted before the
// database is asked again: a newly registered template version is picked
// up within seconds, and a batch of pages costs one query, not one each.
const recheck = 5 * time.Second

// For returns the reader for a subject's current templates.
func (rs *Readers) For(ctx context.Context, subjectID int64) (*omr.Reader, error) {
	rs.mu.Lock()
	if c, ok := rs.cache[subjectID]; ok && time.Since(c.checked) < recheck {
		rs.mu.Unlock()
		return c.wait(ctx)
	}
	rs.mu.Unlock()
	ts, err := store.SubjectTemplates(ctx, rs.DB.Pool, subjectID)
	if err != nil {
		return nil, err
	}
	var keys []string
	for _, t := range ts {
		keys = append(keys, t.SHA256)
	}
	key := strings.Join(keys, ",")

	rs.mu.Lock()
	if rs.cache == nil {
		rs.cache = map[int64]*cachedReader{}
	}
	c, ok := rs.cache[subjectID]
	if ok && c.key == key {
		c.checked = time.Now()
	}
	if !ok || c.key != key {
		c = &cachedReader{key: key, ready: make(chan struct{}), checked: time.Now()}
		rs.cache[subjectID] = c
		rs.mu.Unlock()
		var parsed []*card.Template
		for _, t := range ts {
			p, err := card.Parse([]byte(t.Body))
			if err != nil {
				c.err = err
				break
			}
			parsed = append(parsed, p)
		}
		if c.err == nil {
			c.reader, c.err = omr.NewReader(parsed, rs.Options)
		}
		close(c.ready)
		if c.err != nil {
			rs.mu.Lock()
			delete(rs.cache, subjectID)
			rs.mu.Unlock()
		}
	} else {
		rs.mu.Unlock()
	}
	return c.wait(ctx)
}

// wait returns the reader once it is built.
func (c *cachedReader) wait(ctx context.Context) (*omr.Reader, error) {
	select {
	case <-c.ready:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return c.reader, c.err
}
