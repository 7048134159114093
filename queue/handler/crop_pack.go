package handler

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sync"
	"time"

	"github.com/saoyue/saoyue/blob"
)

// cropPacker stores the answer crops of the pages a worker reads at about
// the same time as one object, each page's crops a range of it.
//
// Why: object storage spends about the same CPU on a PUT whatever its size
// (MinIO: 1.6 ms for 35 KB, 2.5 ms for 160 KB, measured on the benchmark's
// machine), and on the county's one server that CPU is taken from the
// reader. A worker reads several pages at once, so when a page's crops are
// cut the other pages in hand are usually about to have theirs: the page
// waits for them, and one PUT stores all. Nothing waits for a page that
// began after the pack opened, so a page waits at most for the rest of the
// reads already under way, and a page read alone is stored at once.
//
// The key is the pack's SHA-256: a page read again lands in a new pack and
// its crop rows move there; the old pack keeps the other pages' crops.
type cropPacker struct {
	blobs blob.Store
	// linger bounds a page's wait for the others (a read stuck on the
	// network must not hold up the pages that are done).
	linger time.Duration
	// maxBytes closes a pack early.
	maxBytes int

	mu       sync.Mutex
	next     uint64              // ticket of the next read to begin
	inFlight map[uint64]struct{} // reads begun whose crops are not packed
	open     *cropPack
}

type cropPack struct {
	data    []byte
	waitFor map[uint64]struct{} // reads in flight when the pack opened
	timer   *time.Timer
	done    chan struct{} // closed once stored (or failed)
	key     string
	err     error
}

func newCropPacker(blobs blob.Store) *cropPacker {
	return &cropPacker{blobs: blobs, linger: 250 * time.Millisecond, maxBytes: 4 << 20, inFlight: map[uint64]struct{}{}}
}

// begin records that a page's reading started; the ticket goes to store
// or end.
func (p *cropPacker) begin() uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.next++
	p.inFlight[p.next] = struct{}{}
	return p.next
}

// end records that a reading finished without (more) crops to store: it
// failed, or its page has no answer boxes. Calling it after store is
// harmless.
func (p *cropPacker) end(ticket uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.inFlight[ticket]; !ok {
		return
	}
	delete(p.inFlight, ticket)
	if pk := p.open; pk != nil {
		delete(pk.waitFor, ticket)
		if len(pk.waitFor) == 0 {
			p.closeLocked(pk)
		}
	}
}

// store adds a page's crops to the open pack and returns, once the pack is
// stored, its key and where data starts in it.
func (p *cropPacker) store(ctx context.Context, ticket uint64, data []byte) (key string, offset int64, err error) {
	p.mu.Lock()
	delete(p.inFlight, ticket)
	pk := p.open
	if pk == nil {
		pk = &cropPack{waitFor: make(map[uint64]struct{}, len(p.inFlight)), done: make(chan struct{})}
		for t := range p.inFlight {
			pk.waitFor[t] = struct{}{}
		}
		p.open = pk
		if len(pk.waitFor) > 0 {
			pk.timer = time.AfterFunc(p.linger, func() {
				p.mu.Lock()
				defer p.mu.Unlock()
				if p.open == pk {
					p.closeLocked(pk)
				}
			})
		}
	}
	delete(pk.waitFor, ticket)
	offset = int64(len(pk.data))
	pk.data = append(pk.data, data...)
	if len(pk.waitFor) == 0 || len(pk.data) >= p.maxBytes {
		p.closeLocked(pk)
	}
	p.mu.Unlock()

	select {
	case <-pk.done:
		if pk.err != nil {
			return "", 0, pk.err
		}
		return pk.key, offset, nil
	case <-ctx.Done():
		return "", 0, ctx.Err()
	}
}

// closeLocked takes the pack out of service and stores it in the
// background; its pages are waiting on done.
func (p *cropPacker) closeLocked(pk *cropPack) {
	if p.open == pk {
		p.open = nil
	}
	if pk.timer != nil {
		pk.timer.Stop()
	}
	go func() {
		defer close(pk.done)
		sum := sha256.Sum256(pk.data)
		h := hex.EncodeToString(sum[:])
		key := "crops/" + h[:2] + "/" + h + ".jpgs"
		// The pages' own contexts may end while they wait; the pack is
		// stored for whoever is still waiting.
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := p.blobs.Put(ctx, key, bytes.NewReader(pk.data), int64(len(pk.data)), "application/octet-stream"); err != nil {
			pk.err = fmt.Errorf("store crops: %w", err)
			return
		}
		pk.key = key
	}()
}
