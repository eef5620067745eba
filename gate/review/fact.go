package review

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"sort"
	"strings"
	"sync"

	"frontdesk/ledger"
)

// Errors callers test for.
var (
	// ErrNotFact reports an event that is not a fact a gate can act on.
	ErrNotFact = errors.New("review: the event is not a fact")
	// ErrAlreadyJudged reports a fact that gate 2 has already judged.
	ErrAlreadyJudged = errors.New("review: the fact has already been judged")
	// ErrSuperseded reports a fact that a newer fact replaced.
	ErrSuperseded = errors.New("review: the fact was replaced by a newer fact")
	// ErrFork reports a fact replaced by two events at once.
	ErrFork = errors.New("review: the fact's chain has forked")
)

// Fact is a fact stated on a call, for RecordFact.
type Fact struct {
	// Entity is what the fact is about (patient/<id>).
	Entity string
	// Subject protects the value; it defaults to Entity.
	Subject string
	// Type names the statement, e.g. patient.pharmacy-stated.
	Type string
	// Field is the field of Entity the fact proposes to set.
	Field string
	// Value is the value, as extracted; it is PHI.
	Value string
	// Source is where it came from (voice, agent).
	Source ledger.Source
	// Call is the call it was heard on (call/<id>).
	Call string
	// TurnEvent is the ID of the transcript-turn event it cites.
	TurnEvent string
	// Actor is who extracted it (agent, account/…).
	Actor string
	// Supersedes lists earlier facts it replaces.
	Supersedes []string
	// Attrs are further attributes that are not PHI.
	Attrs map[string]string
}

// RecordFact records a stated fact at its source's starting confidence
// (gate 1) with the attributes the judge reads.
func RecordFact(ctx context.Context, l *ledger.Ledger, f Fact) (*ledger.Event, error) {
	if f.Field == "" {
		return nil, errors.New("review: record fact: no field")
	}
	if IsChainType(f.Type) || strings.HasPrefix(f.Type, "review.") {
		return nil, fmt.Errorf("review: record fact: type %q is reserved for the gates", f.Type)
	}
	p, _, err := LoadPolicy(l)
	if err != nil {
		return nil, err
	}
	attrs := map[string]string{AttrField: f.Field}
	for k, v := range f.Attrs {
		attrs[k] = v
	}
	if f.Call != "" {
		attrs[AttrCall] = f.Call
	}
	if f.TurnEvent != "" {
		attrs[AttrTurn] = f.TurnEvent
	}
	return l.Append(ctx, ledger.Event{
		Entity: f.Entity, Subject: f.Subject, Type: f.Type, Source: f.Source, Confidence: p.starting(f.Source),
		Supersedes: f.Supersedes, Actor: f.Actor, Attrs: attrs, PHI: map[string]string{f.Field: f.Value},
	})
}

// factField returns the field a fact sets: its field attribute, or its only
// PHI field.
func factField(ev *ledger.Event) (string, error) {
	if f := ev.Attrs[AttrField]; f != "" {
		if _, ok := ev.Commitments[f]; !ok {
			return "", fmt.Errorf("%w: event %s names field %q but holds no such PHI field", ErrNotFact, ev.ID, f)
		}
		return f, nil
	}
	if len(ev.Commitments) == 1 {
		for f := range ev.Commitments {
			return f, nil
		}
	}
	return "", fmt.Errorf("%w: event %s has no field attribute and %d PHI fields", ErrNotFact, ev.ID, len(ev.Commitments))
}

// chain is a fact's chain within its entity's history: the original fact
// and the gate events that replaced it, one after another.
type chain struct {
	events     []*ledger.Event // original … head
	original   *ledger.Event
	head       *ledger.Event
	requested  *ledger.Event
	replacedBy *ledger.Event // a newer fact that replaced the head
}

// resolveChain finds the chain through event id in hist, the history of
// its entity.
func resolveChain(hist []*ledger.Event, id string) (*chain, error) {
	byID := make(map[string]*ledger.Event, len(hist))
	succ := map[string][]*ledger.Event{}
	for _, ev := range hist {
		byID[ev.ID] = ev
		for _, s := range ev.Supersedes {
			succ[s] = append(succ[s], ev)
		}
	}
	req := byID[id]
	if req == nil {
		return nil, fmt.Errorf("review: event %s: %w", id, ledger.ErrNotFound)
	}
	c := &chain{requested: req}
	// Forward to the head.
	cur := req
	for steps := 0; ; steps++ {
		next := succ[cur.ID]
		if len(next) == 0 {
			break
		}
		if len(next) > 1 {
			return nil, fmt.Errorf("%w: event %s is superseded by %d events", ErrFork, cur.ID, len(next))
		}
		if !gateTypes[next[0].Type] {
			c.replacedBy = next[0]
			break
		}
		if steps > len(hist) {
			return nil, fmt.Errorf("%w: supersession loops", ErrFork)
		}
		cur = next[0]
	}
	c.head = cur
	// Back from the head to the original fact.
	var rev []*ledger.Event
	for cur = c.head; ; {
		rev = append(rev, cur)
		if !gateTypes[cur.Type] {
			break
		}
		if len(cur.Supersedes) != 1 || byID[cur.Supersedes[0]] == nil || len(rev) > len(hist) {
			return nil, fmt.Errorf("%w: gate event %s does not replace exactly one earlier event", ErrNotFact, cur.ID)
		}
		cur = byID[cur.Supersedes[0]]
	}
	c.original = rev[len(rev)-1]
	for i := len(rev) - 1; i >= 0; i-- {
		c.events = append(c.events, rev[i])
	}
	return c, nil
}

// lastValue returns the last event of the chain that carries the value.
func (c *chain) lastValue(field string) *ledger.Event {
	for i := len(c.events) - 1; i >= 0; i-- {
		if _, ok := c.events[i].Commitments[field]; ok {
			return c.events[i]
		}
	}
	return nil
}

// Writes to one entity's chain are serialised within the process by a
// fixed set of mutexes, chosen by hashing workspace and entity. A caller
// that needs several takes them in index order (lockEntities), so two
// callers never wait on each other in a cycle.
var stripes [64]sync.Mutex

func stripe(ws, entity string) int {
	h := fnv.New32a()
	h.Write([]byte(ws))
	h.Write([]byte{0})
	h.Write([]byte(entity))
	return int(h.Sum32() % uint32(len(stripes)))
}

// lockEntities locks the stripes of the entities and returns the unlock.
func lockEntities(ws string, entities ...string) func() {
	idx := make([]int, 0, len(entities))
	for _, e := range entities {
		idx = append(idx, stripe(ws, e))
	}
	sort.Ints(idx)
	var held []int
	for i, s := range idx {
		if i > 0 && idx[i-1] == s {
			continue
		}
		stripes[s].Lock()
		held = append(held, s)
	}
	return func() {
		for i := len(held) - 1; i >= 0; i-- {
			stripes[held[i]].Unlock()
		}
	}
}
