package ledger

import (
	"context"
	"fmt"
	"math/rand"
	"path/filepath"
	"testing"
	"time"
)

// modelEvent is what the property test remembers of an append.
type modelEvent struct {
	seq        uint64
	id, entity string
	recorded   time.Time
	attrs, phi map[string]string
	supersedes []string
}

// modelFold is an independent fold of the model: the state of entity at t.
func modelFold(evs []modelEvent, entity string, t time.Time, erased map[string]bool) map[string]string {
	dead := map[string]bool{}
	var mine []modelEvent
	for _, e := range evs {
		if e.entity != entity || e.recorded.After(t) {
			continue
		}
		mine = append(mine, e)
		for _, s := range e.supersedes {
			dead[s] = true
		}
	}
	out := map[string]string{}
	for _, e := range mine {
		if dead[e.id] {
			continue
		}
		for k, v := range e.attrs {
			out[k] = v
		}
		for k, v := range e.phi {
			if erased[entity] {
				v = "<erased>"
			}
			out[k] = v
		}
	}
	return out
}

// TestPropertyRandomHistories runs random appends, supersessions,
// erasures, checkpoints and reopenings against an in-memory model, and
// checks reads, as-of folds, inclusion and consistency proofs and Verify
// along the way.
func TestPropertyRandomHistories(t *testing.T) {
	seeds := []int64{1, 2, 3}
	ops := 250
	if testing.Short() {
		seeds, ops = seeds[:1], 120
	}
	for _, seed := range seeds {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) { runProperty(t, seed, ops) })
	}
}

func runProperty(t *testing.T, seed int64, ops int) {
	rng := rand.New(rand.NewSource(seed))
	kek, sk := testKeys(t)
	dir := t.TempDir()
	clock := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	now := func() time.Time { clock = clock.Add(time.Duration(1+rng.Intn(3)) * time.Second); return clock }
	open := func() *Ledger {
		l, err := Open(filepath.Join(dir, "l.db"), Options{Workspace: "ws", KEK: kek, Signing: sk, Now: now, SegmentSize: 64 << 10})
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	l := open()
	defer func() { l.Close() }()
	ctx := context.Background()
	var model []modelEvent
	erased := map[string]bool{}
	entities := []string{"patient/a", "patient/b", "patient/c", "call/1", "call/2", "appointment/x"}
	var checkpoints []*Checkpoint

	for op := 0; op < ops; op++ {
		switch r := rng.Intn(100); {
		case r < 80:
			ent := entities[rng.Intn(len(entities))]
			e := Event{Entity: ent, Type: "fact.stated", Source: Source(1 + rng.Intn(5)), Confidence: float64(rng.Intn(11)) / 10,
				Attrs: map[string]string{fmt.Sprint("a", rng.Intn(3)): fmt.Sprint(rng.Intn(1000))}}
			if !erased[ent] && rng.Intn(2) == 0 {
				e.PHI = map[string]string{fmt.Sprint("p", rng.Intn(3)): fmt.Sprintf("value %d", rng.Intn(1000))}
			}
			// Supersede a live earlier event of the same entity now and then.
			if rng.Intn(5) == 0 {
				for i := len(model) - 1; i >= 0; i-- {
					if model[i].entity == ent {
						e.Supersedes = []string{model[i].id}
						break
					}
				}
			}
			ev, err := l.Append(ctx, e)
			if err != nil {
				t.Fatalf("op %d: %v", op, err)
			}
			if ev.Seq != uint64(len(model)) {
				t.Fatalf("op %d: seq %d, want %d", op, ev.Seq, len(model))
			}
			model = append(model, modelEvent{ev.Seq, ev.ID, ent, ev.Recorded, e.Attrs, e.PHI, e.Supersedes})
		case r < 83:
			ent := entities[rng.Intn(3)]
			if erased[ent] {
				continue
			}
			ev, err := l.Erase(ctx, ent, "test", "patient-request")
			if err != nil {
				t.Fatalf("op %d erase: %v", op, err)
			}
			erased[ent] = true
			model = append(model, modelEvent{seq: ev.Seq, id: ev.ID, entity: ent, recorded: ev.Recorded, attrs: ev.Attrs})
		case r < 90:
			if len(model) == 0 {
				continue
			}
			cp, err := l.Checkpoint()
			if err != nil {
				t.Fatal(err)
			}
			checkpoints = append(checkpoints, cp)
		case r < 95:
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			l = open()
		default:
			if len(model) == 0 {
				continue
			}
			// Prove random events, with consistency from a random
			// earlier checkpoint.
			var from uint64
			if len(checkpoints) > 0 {
				from = checkpoints[rng.Intn(len(checkpoints))].Size
			}
			seqs := []uint64{uint64(rng.Intn(len(model))), uint64(rng.Intn(len(model)))}
			b, err := l.Prove(seqs, from)
			if err != nil {
				t.Fatalf("op %d prove: %v", op, err)
			}
			rep, err := VerifyBundle(mustJSON(t, b), sk.VerifierKey)
			if err != nil {
				t.Fatalf("op %d: bundle: %v", op, err)
			}
			for _, ev := range rep.Events {
				if ev.ID != model[ev.Seq].id {
					t.Fatalf("bundle entry %d is %s, want %s", ev.Seq, ev.ID, model[ev.Seq].id)
				}
			}
			checkpoints = append(checkpoints, rep.Checkpoint)
		}
		// Check a random as-of fold against the model.
		if len(model) > 0 && op%5 == 0 {
			pick := model[rng.Intn(len(model))]
			ent := entities[rng.Intn(len(entities))]
			st, err := l.AsOf(ent, pick.recorded, ReadOptions{PHI: true})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for k, v := range st.Fields {
				if v.Erased {
					got[k] = "<erased>"
				} else {
					got[k] = v.Value
				}
			}
			want := modelFold(model, ent, pick.recorded, erased)
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("op %d: %s as of %s:\n got %v\nwant %v", op, ent, pick.recorded, got, want)
			}
		}
	}
	var trusted [][]byte
	for _, cp := range checkpoints {
		trusted = append(trusted, []byte(cp.Note))
	}
	rep, err := l.Verify(VerifyOptions{Trusted: trusted})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK || rep.Events != uint64(len(model)) {
		t.Fatalf("verify: %+v", rep)
	}
}
