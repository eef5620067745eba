package ledger

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// appendReq carries one event from its caller to the writer goroutine.
type appendReq struct {
	ev     *Event
	phi    []byte
	key    *subjectKey // set when the event has PHI
	erase  bool        // the event erases its subject
	rotate bool        // control: start a new WAL segment
	done   chan error
}

// record is an event on its way from the WAL into bbolt.
type record struct {
	walRecord
	entity, subject, typ, id string
	erase                    bool
}

// Append records e and returns it completed with its seq, ID, recorded time
// and previous hash. It returns only once the event is durable. An invalid
// event is refused with an error wrapping ErrInvalidEvent and nothing is
// written. e.PHI values are encrypted; the returned event keeps them.
func (l *Ledger) Append(ctx context.Context, e Event) (*Event, error) {
	if strings.HasPrefix(e.Type, reservedPrefix) {
		return nil, fmt.Errorf("ledger %s: append: %w: type prefix %q is reserved", l.ws, ErrInvalidEvent, reservedPrefix)
	}
	return l.append(ctx, &e, false)
}

func (l *Ledger) append(ctx context.Context, e *Event, erase bool) (*Event, error) {
	if e.Subject == "" {
		e.Subject = e.Entity
	}
	if err := e.validate(); err != nil {
		return nil, fmt.Errorf("ledger %s: append: %w", l.ws, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("ledger %s: append: %w", l.ws, err)
	}
	e.Workspace = l.ws
	e.Seq, e.Prev, e.Recorded = 0, Hash{}, time.Time{}
	id, err := newID(l.now())
	if err != nil {
		return nil, err
	}
	e.ID = id
	req := &appendReq{ev: e, erase: erase, done: make(chan error, 1)}
	e.Commitments = nil
	if len(e.PHI) > 0 {
		k, err := l.subjects.forWrite(e.Subject)
		if err != nil {
			return nil, fmt.Errorf("ledger %s: append: %w", l.ws, err)
		}
		req.key = k
		if req.phi, err = sealPHI(e, k); err != nil {
			return nil, fmt.Errorf("ledger %s: append: %w", l.ws, err)
		}
	}
	if err := l.submit(ctx, req); err != nil {
		return nil, fmt.Errorf("ledger %s: append: %w", l.ws, err)
	}
	return e, nil
}

// submit hands req to the writer and waits for its outcome. Once handed
// over, the request is carried out even if ctx ends: the caller learns
// whether it became durable.
func (l *Ledger) submit(ctx context.Context, req *appendReq) error {
	l.closeMu.RLock()
	if l.closed {
		l.closeMu.RUnlock()
		return ErrClosed
	}
	l.inflight.Add(1)
	l.closeMu.RUnlock()
	defer l.inflight.Done()
	select {
	case l.reqs <- req:
	case <-ctx.Done():
		return ctx.Err()
	}
	return <-req.done
}

// writer is the single goroutine that orders events: it assigns seqs,
// chains envelopes, writes each group to the WAL with one fdatasync, then
// acknowledges the group and hands it to the applier.
func (l *Ledger) writer() {
	defer l.writerWG.Done()
	defer close(l.applyCh)
	var (
		group []*appendReq
		buf   []byte
	)
	for first := range l.reqs {
		group = append(group[:0], first)
	drain:
		for len(group) < l.opts.MaxGroup {
			select {
			case r, ok := <-l.reqs:
				if !ok {
					break drain
				}
				group = append(group, r)
			default:
				break drain
			}
		}
		l.waitBacklog()
		buf = l.commitGroup(group, buf[:0])
	}
}

// waitBacklog holds the writer while bbolt is too far behind the WAL.
func (l *Ledger) waitBacklog() {
	l.mu.Lock()
	for l.acked-l.size > uint64(l.opts.MaxBacklog) && l.failed == nil {
		l.cond.Wait()
	}
	l.mu.Unlock()
}

// commitGroup writes one group. It reuses buf and returns it.
func (l *Ledger) commitGroup(group []*appendReq, buf []byte) []byte {
	l.mu.Lock()
	failed := l.failed
	l.mu.Unlock()
	if failed != nil {
		for _, r := range group {
			r.done <- failed
		}
		return buf
	}
	start, startHash, startRecorded := l.next, l.last, l.lastRecorded
	var (
		recs     []*record
		accepted []*appendReq
		newKeys  []*subjectKey
		batchIDs = map[string]string{}
		erasedIn = map[string]bool{}
	)
	for _, r := range group {
		if r.rotate {
			if err := l.wal.start(l.next); err != nil {
				r.done <- err
			} else {
				r.done <- nil
			}
			continue
		}
		e := r.ev
		if err := l.checkSupersedes(e, batchIDs); err != nil {
			r.done <- err
			continue
		}
		if r.key != nil && (erasedIn[e.Subject] || l.subjects.isErased(e.Subject)) {
			r.done <- ErrErased
			continue
		}
		now := l.now().UnixNano()
		if now <= l.lastRecorded {
			now = l.lastRecorded + 1
		}
		e.Seq, e.Prev, e.Recorded = l.next, l.last, time.Unix(0, now).UTC()
		env := encodeEnvelope(make([]byte, 0, 512), e)
		rec := &record{
			walRecord: walRecord{seq: e.Seq, envelope: env, phi: r.phi},
			entity:    e.Entity, subject: e.Subject, typ: e.Type, id: e.ID, erase: r.erase,
		}
		if r.key != nil {
			l.subjects.mu.Lock()
			if !r.key.inWAL {
				r.key.inWAL, r.key.walSeq = true, e.Seq
				rec.newKey = r.key.wrapped
				newKeys = append(newKeys, r.key)
			}
			l.subjects.mu.Unlock()
		}
		if r.erase {
			erasedIn[e.Subject] = true
		}
		buf = appendWALRecord(buf, &rec.walRecord)
		l.next++
		l.last = recordHash(env)
		l.lastRecorded = now
		batchIDs[e.ID] = e.Entity
		recs = append(recs, rec)
		accepted = append(accepted, r)
	}
	if len(recs) == 0 {
		return buf
	}
	if err := l.wal.append(buf, start, l.next-1); err != nil {
		// Nothing of this group is durable: undo its seqs so the next group
		// reuses them, and let the keys it carried be carried again.
		l.next, l.last, l.lastRecorded = start, startHash, startRecorded
		l.subjects.mu.Lock()
		for _, k := range newKeys {
			k.inWAL = false
		}
		l.subjects.mu.Unlock()
		var syncErr *syncError
		l.mu.Lock()
		if errors.As(err, &syncErr) {
			l.failed = fmt.Errorf("%w: %v", ErrFailed, err)
			l.cond.Broadcast()
		}
		l.writeErr = err
		l.mu.Unlock()
		for _, r := range accepted {
			r.done <- err
		}
		return buf
	}
	l.groups.Add(1)
	for subject := range erasedIn {
		l.subjects.markErased(subject)
	}
	l.mu.Lock()
	l.writeErr = nil
	for _, rec := range recs {
		l.pendingID[rec.id] = pendingRef{seq: rec.seq, entity: rec.entity}
		l.pendingEn[rec.entity] = rec.seq
	}
	l.acked = l.next
	l.mu.Unlock()
	l.applyCh <- recs
	for _, r := range accepted {
		r.done <- nil
	}
	return buf
}

// checkSupersedes refuses an event that supersedes an ID the ledger does not
// hold, or an event of another entity.
func (l *Ledger) checkSupersedes(e *Event, batch map[string]string) error {
	for _, id := range e.Supersedes {
		entity, ok := batch[id]
		if !ok {
			l.mu.Lock()
			p, pok := l.pendingID[id]
			l.mu.Unlock()
			if pok {
				entity, ok = p.entity, true
			}
		}
		if !ok {
			err := l.db.View(func(tx *bolt.Tx) error {
				v := tx.Bucket(bIdxID).Get([]byte(id))
				if v == nil {
					return nil
				}
				env := tx.Bucket(bLog).Get(v)
				ev, err := DecodeEnvelope(env)
				if err != nil {
					return err
				}
				entity, ok = ev.Entity, true
				return nil
			})
			if err != nil {
				return fmt.Errorf("look up %s: %w", id, err)
			}
		}
		if !ok {
			return fmt.Errorf("%w: supersedes %s, which is not in this ledger", ErrInvalidEvent, id)
		}
		if entity != e.Entity {
			return fmt.Errorf("%w: supersedes %s, an event of another entity", ErrInvalidEvent, id)
		}
	}
	return nil
}
