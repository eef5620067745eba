package rtp

import (
	"context"
	"time"
)

// Clock is the time source a Pacer follows. The system clock (a nil Clock)
// is monotonic; tests substitute a clock they advance by hand.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// At returns a channel that receives once the clock reaches t.
	At(t time.Time) <-chan time.Time
}

// Pacer ticks at a fixed interval on a schedule fixed at its first tick:
// tick n is due at start + n·interval, so waiting late never shifts later
// ticks (no drift), and a caller that fell behind learns how many ticks it
// owes (catch-up).
type Pacer struct {
	clock    Clock
	timer    *time.Timer
	interval time.Duration
	start    time.Time
	ticks    int64
}

// NewPacer returns a Pacer with the given interval on clock, or on the
// system's monotonic clock when clock is nil.
func NewPacer(interval time.Duration, clock Clock) *Pacer {
	return &Pacer{clock: clock, interval: interval}
}

func (p *Pacer) now() time.Time {
	if p.clock != nil {
		return p.clock.Now()
	}
	return time.Now()
}

func (p *Pacer) at(t time.Time) <-chan time.Time {
	if p.clock != nil {
		return p.clock.At(t)
	}
	d := time.Until(t) // monotonic: t derives from time.Now
	if p.timer == nil {
		p.timer = time.NewTimer(d)
	} else {
		p.timer.Reset(d)
	}
	return p.timer.C
}

// Wait blocks until the next tick is due and returns the number of ticks
// due now: 1 on schedule, more when the caller fell behind. The first tick
// is due at once. Wait returns ctx's error when ctx is done first.
func (p *Pacer) Wait(ctx context.Context) (int, error) {
	for {
		now := p.now()
		if p.start.IsZero() {
			p.start = now
		}
		due := int64(now.Sub(p.start)/p.interval) + 1 - p.ticks
		if due > 0 {
			p.ticks += due
			return int(due), nil
		}
		next := p.start.Add(time.Duration(p.ticks) * p.interval)
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-p.at(next):
		}
	}
}
