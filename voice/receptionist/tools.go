package receptionist

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"frontdesk/gate/identity"
	"frontdesk/gate/review"
	"frontdesk/ledger"
)

// toolset is what the receptionist can do. Tools that touch a patient's
// record set Discloses, so the identity gate runs them only for a verified
// caller and hands them the Verified capability naming that caller.
func (r *Receptionist) toolset() []identity.Tool {
	return []identity.Tool{
		{Name: "appointments.upcoming", Description: "The caller's upcoming appointments.", Discloses: true, Run: r.upcoming},
		{Name: "slots.free", Description: "The soonest free appointment slots (clinic facts).", Run: r.freeSlots},
		{Name: "appointment.book", Description: "Book a free slot for the caller.", Discloses: true, Run: r.bookSlot},
		{Name: "appointment.cancel", Description: "Cancel one of the caller's appointments.", Discloses: true, Run: r.cancelAppointment},
		{Name: "patient.state-fact", Description: "Record a new pharmacy, phone number or address the caller stated, for review.", Discloses: true, Run: r.stateFact},
	}
}

func (r *Receptionist) upcoming(ctx context.Context, v identity.Verified, args map[string]string) (map[string]string, error) {
	appts, err := r.world.Appointments(v.Patient(), r.cfg.Now())
	if err != nil {
		return nil, err
	}
	if len(appts) > 3 {
		appts = appts[:3]
	}
	var ents []string
	for _, a := range appts {
		ents = append(ents, a.Entity)
	}
	if err := v.Disclose(ctx, "appointments.upcoming", ents...); err != nil {
		return nil, err
	}
	out := map[string]string{"count": strconv.Itoa(len(appts)), "appointments": strings.Join(ents, ",")}
	if len(appts) == 0 {
		out["said"] = "You have no upcoming appointments with us."
		return out, nil
	}
	var b strings.Builder
	if len(appts) == 1 {
		b.WriteString("You have one upcoming appointment: ")
	} else {
		fmt.Fprintf(&b, "You have %s upcoming appointments. ", sayNumber(len(appts)))
	}
	for i, a := range appts {
		when := sayWhen(a.Start.In(r.location()))
		out["when."+strconv.Itoa(i)] = when
		if len(appts) > 1 {
			fmt.Fprintf(&b, "The %s is on ", ordinalChoice(i))
		} else {
			b.WriteString("on ")
		}
		fmt.Fprintf(&b, "%s, with %s. ", when, r.world.PractitionerName(a.Practitioner))
	}
	out["said"] = strings.TrimSpace(b.String())
	return out, nil
}

func (r *Receptionist) freeSlots(ctx context.Context, _ identity.Verified, args map[string]string) (map[string]string, error) {
	n, _ := strconv.Atoi(args["count"])
	if n <= 0 || n > 5 {
		n = 3
	}
	skip := map[string]bool{}
	for _, s := range strings.Split(args["skip"], ",") {
		if s != "" {
			skip[s] = true
		}
	}
	slots, err := r.world.FreeSlots(r.cfg.Now(), n, skip)
	if err != nil {
		return nil, err
	}
	out := map[string]string{"count": strconv.Itoa(len(slots))}
	var ents []string
	var b strings.Builder
	b.WriteString("I have ")
	for i, s := range slots {
		ents = append(ents, s.Entity)
		desc := fmt.Sprintf("%s with %s", sayWhen(s.Start.In(r.location())), r.world.PractitionerName(s.Practitioner))
		out["said."+strconv.Itoa(i)] = desc
		fmt.Fprintf(&b, "%s, %s. ", ordinalChoice(i), desc)
	}
	out["slots"] = strings.Join(ents, ",")
	out["said"] = strings.TrimSpace(b.String())
	return out, nil
}

func (r *Receptionist) bookSlot(ctx context.Context, v identity.Verified, args map[string]string) (map[string]string, error) {
	slot := args["slot"]
	if !strings.HasPrefix(slot, "slot/") {
		return nil, fmt.Errorf("receptionist: book: %q is not a slot", slot)
	}
	// One booking at a time, so two callers cannot take one slot.
	r.bookMu.Lock()
	defer r.bookMu.Unlock()
	free, err := r.world.FreeSlots(r.cfg.Now(), 1<<20, nil)
	if err != nil {
		return nil, err
	}
	var s *Slot
	for i := range free {
		if free[i].Entity == slot {
			s = &free[i]
		}
	}
	if s == nil {
		return map[string]string{"booked": "false"}, nil
	}
	appt := newAppointmentID()
	attrs := map[string]string{
		"slot": s.Entity, "practitioner": s.Practitioner, "patient": v.Patient(), "status": "booked",
		"start": s.Start.UTC().Format("2006-01-02T15:04:05Z07:00"), "end": s.End.UTC().Format("2006-01-02T15:04:05Z07:00"),
		"verification": v.Event(),
	}
	if old := args["replaces"]; old != "" {
		attrs["replaces"] = old
	}
	// The booking is a fact the caller confirmed; like every fact from a
	// call it reaches the EHR only once staff approve it (gate 3).
	fact, err := review.RecordFact(ctx, r.l, review.Fact{
		Entity: appt, Subject: v.Patient(), Type: "appointment.booked", Field: "appointment",
		Value: "booked " + s.Entity, Source: ledger.SourceAgent, Call: args["call"], TurnEvent: args["turn_event"],
		Actor: "agent/receptionist", Attrs: attrs,
	})
	if err != nil {
		return nil, err
	}
	if _, err := r.l.Append(ctx, ledger.Event{Entity: s.Entity, Type: "slot.held", Source: ledger.SourceAgent, Confidence: 1,
		Actor: "agent/receptionist", Attrs: map[string]string{"held_by": appt, "call": args["call"]}}); err != nil {
		return nil, err
	}
	if _, err := review.OpenItem(ctx, r.l, review.Opening{Trigger: fact.ID, Reason: "always", Target: fact.ID, TargetEntity: appt,
		Fact: fact.ID, Field: "appointment", Subject: v.Patient(), Actor: "agent/receptionist"}); err != nil {
		return nil, err
	}
	if old := args["replaces"]; old != "" {
		if _, err := r.cancel(ctx, v, old, args); err != nil {
			return nil, err
		}
	}
	if err := v.Disclose(ctx, "appointment.book", appt); err != nil {
		return nil, err
	}
	return map[string]string{"booked": "true", "appointment": appt,
		"said": fmt.Sprintf("%s with %s", sayWhen(s.Start.In(r.location())), r.world.PractitionerName(s.Practitioner))}, nil
}

func (r *Receptionist) cancelAppointment(ctx context.Context, v identity.Verified, args map[string]string) (map[string]string, error) {
	r.bookMu.Lock()
	defer r.bookMu.Unlock()
	return r.cancel(ctx, v, args["appointment"], args)
}

// cancel records the cancellation of one of the verified patient's
// appointments; called with bookMu held.
func (r *Receptionist) cancel(ctx context.Context, v identity.Verified, appt string, args map[string]string) (map[string]string, error) {
	appts, err := r.world.Appointments(v.Patient(), r.cfg.Now())
	if err != nil {
		return nil, err
	}
	var a *Appointment
	for i := range appts {
		if appts[i].Entity == appt {
			a = &appts[i]
		}
	}
	if a == nil {
		// Not this caller's, or not upcoming: say nothing about it.
		return nil, fmt.Errorf("receptionist: cancel: no such appointment for the caller")
	}
	fact, err := review.RecordFact(ctx, r.l, review.Fact{
		Entity: appt, Subject: v.Patient(), Type: "appointment.cancelled", Field: "appointment", Value: "cancelled " + appt,
		Source: ledger.SourceAgent, Call: args["call"], TurnEvent: args["turn_event"], Actor: "agent/receptionist",
		Attrs: map[string]string{"status": "cancelled", "patient": v.Patient(), "slot": a.Slot, "verification": v.Event()},
	})
	if err != nil {
		return nil, err
	}
	if a.Slot != "" {
		if _, err := r.l.Append(ctx, ledger.Event{Entity: a.Slot, Type: "slot.released", Source: ledger.SourceAgent, Confidence: 1,
			Actor: "agent/receptionist", Attrs: map[string]string{"held_by": "", "released_by": appt}}); err != nil {
			return nil, err
		}
	}
	if _, err := review.OpenItem(ctx, r.l, review.Opening{Trigger: fact.ID, Reason: "always", Target: fact.ID, TargetEntity: appt,
		Fact: fact.ID, Field: "appointment", Subject: v.Patient(), Actor: "agent/receptionist"}); err != nil {
		return nil, err
	}
	if err := v.Disclose(ctx, "appointment.cancel", appt); err != nil {
		return nil, err
	}
	return map[string]string{"cancelled": "true"}, nil
}

// stateFields are the patient fields a caller may propose to change.
var stateFields = map[string]string{"pharmacy": "patient.pharmacy-stated", "phone": "patient.phone-stated", "address": "patient.address-stated"}

func (r *Receptionist) stateFact(ctx context.Context, v identity.Verified, args map[string]string) (map[string]string, error) {
	typ, ok := stateFields[args["field"]]
	if !ok {
		return nil, fmt.Errorf("receptionist: a caller may not change %q", args["field"])
	}
	if args["value"] == "" || args["turn_event"] == "" {
		return nil, errors.New("receptionist: a stated fact needs a value and the turn it was said in")
	}
	fact, err := review.RecordFact(ctx, r.l, review.Fact{
		Entity: v.Patient(), Type: typ, Field: args["field"], Value: args["value"], Source: ledger.SourceVoice,
		Call: args["call"], TurnEvent: args["turn_event"], Actor: "agent/receptionist",
		Attrs: map[string]string{"verification": v.Event()},
	})
	if err != nil {
		return nil, err
	}
	// Gate 2 at once: the local judge checks the value against the turn.
	j, err := review.JudgeFact(ctx, r.l, r.cfg.Judge, fact.ID)
	out := map[string]string{"fact": fact.ID}
	if err == nil && j != nil {
		out["judged"] = string(j.Verdict.Outcome)
	}
	return out, nil
}
