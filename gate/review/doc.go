// Package review is the gate between what the receptionist heard and what
// may be written to a system of record (the EHR): the three confidence
// gates, the human review queue, and MayWrite, the one function that
// answers "may this event be written to that destination?" with the chain
// of judgements that says why.
//
// Everything is ledger events in the workspace ledger; every state here is
// a fold of them.
//
// # Facts
//
// A fact the caller states is an event on the entity it concerns, e.g.
// patient.pharmacy-stated on patient/<id>, source voice, with the value as
// a PHI field and these attributes (RecordFact writes them):
//
//	field       the PHI field that holds the value (pharmacy, phone, birthDate, …)
//	call        the call it was heard on (call/<id>)
//	turn_event  the ID of the transcript-turn event it cites; that event's
//	            entity is the call and its PHI field "text" is what was said
//
// Gate 1 is the starting confidence of the fact's source (Policy.Starting:
// ehr 1.0, manual 0.9, voice 0.5, agent 0.3) and the threshold each
// destination sets (Policy.Destinations).
//
// # The fact's chain
//
// An event never changes. Each gate that changes how far a fact is trusted
// appends one event on the fact's entity that supersedes the current head
// of the fact's chain ("supersedes" always means "replaces"), so the fold
// of the entity shows the fact at its current confidence, and an auditor
// walks from the fact to its final form by following Supersedes:
//
//	review.judged   gate 2, the judge (actor judge/local or judge/llm):
//	                outcome verified     → the value again, confidence Policy.Verified (0.8)
//	                outcome uncertain    → the value again, confidence Policy.Uncertain (0.4)
//	                outcome contradicted → no value (withdrawn from the world
//	                                       model), confidence 0
//	fact.confirmed  a human approved: the value again, Policy.HumanVerified (1.0)
//	fact.corrected  a human corrected: the new value, source manual,
//	                Policy.Corrected (0.9)
//	fact.withdrawn  a human rejected: no value, confidence 0
//
// Their attributes: fact (the original fact's ID), field, and for
// review.judged outcome, reason, judge, judged (the ID it judged), call,
// turn_event and, for the LLM judge, model; for the human ones review (the
// review item), decision and reason. Reasons are fixed phrases or codes;
// they never hold PHI.
//
// # Review items
//
// Gate 3 is the queue. An item is the entity review/<trigger>, where
// trigger is the ID of the event that opened it (a review.judged or a
// monitor.hit), so an event opens at most one item. Its events:
//
//	review.opened     reason uncertain|contradicted|monitor|always|ehr-failed, target
//	                  (event ID), target_entity, fact, field; for monitor
//	                  items rule, severity and action
//	review.claimed    by its actor
//	review.approved   reason (a code), result (the fact.confirmed event)
//	review.rejected   reason, result (the fact.withdrawn event)
//	review.corrected  reason, result (the fact.corrected event)
//
// A decision may carry a free-text note as the PHI field "note". Item
// events use the fact's subject, so erasing the patient erases the notes.
// Only people with the member role or above decide (Reviewer).
//
// For monitor items, approve means "acceptable" (a false alarm, or handled)
// and reject means "the flag stands": a fact whose cited turn has a
// rejected or undecided monitor item may not be written.
//
// # MayWrite
//
// MayWrite walks the chain and the items and monitor hits about it. It
// trusts the ledger's writers, as everything reading the ledger does, but
// checks that the chain is what the gates write: every review.judged was
// recorded by a judge (actor judge/…) about the event it replaces, and
// every reviewer's fact event has the matching decision on its review item,
// by the same person, naming it as the result. Gate writes to one entity
// are serialised within the process; the data directory's lock keeps other
// processes out.
//
// # Configuration
//
// The Policy is kept as review.policy-set events on config/review (attribute
// policy, JSON); LoadPolicy folds it, DefaultPolicy applies without one.
package review
