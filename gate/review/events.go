package review

// Event types written by the gates.
const (
	// TypeJudged is gate 2's verdict on a fact.
	TypeJudged = "review.judged"
	// TypeConfirmed is a human's approval of a fact.
	TypeConfirmed = "fact.confirmed"
	// TypeCorrected is a human's correction of a fact.
	TypeCorrected = "fact.corrected"
	// TypeWithdrawn is a human's rejection of a fact.
	TypeWithdrawn = "fact.withdrawn"

	// TypeOpened opens a review item.
	TypeOpened = "review.opened"
	// TypeClaimed records who took a review item.
	TypeClaimed = "review.claimed"
	// TypeApproved closes a review item by approval.
	TypeApproved = "review.approved"
	// TypeRejected closes a review item by rejection.
	TypeRejected = "review.rejected"
	// TypeCorrection closes a review item with a corrected value.
	TypeCorrection = "review.corrected"

	// TypePolicySet records a workspace's Policy.
	TypePolicySet = "review.policy-set"
	// TypeMonitorHit is a monitor rule's hit (written by package monitor).
	TypeMonitorHit = "monitor.hit"
)

// Attribute names shared by facts, judgements, review items and monitor
// hits. None of them holds PHI.
const (
	AttrField        = "field"
	AttrCall         = "call"
	AttrTurn         = "turn_event"
	AttrFact         = "fact"
	AttrOutcome      = "outcome"
	AttrReason       = "reason"
	AttrJudge        = "judge"
	AttrJudged       = "judged"
	AttrModel        = "model"
	AttrFallback     = "fallback"
	AttrReview       = "review"
	AttrDecision     = "decision"
	AttrResult       = "result"
	AttrRole         = "role"
	AttrTarget       = "target"
	AttrTargetEntity = "target_entity"
	AttrRule         = "rule"
	AttrSeverity     = "severity"
	AttrAction       = "action"
	AttrPack         = "pack"
	AttrEvent        = "event"
	AttrPolicy       = "policy"
)

// PHI field names.
const (
	// TurnText is the PHI field of a transcript-turn event that holds what
	// was said.
	TurnText = "text"
	// NoteField is the PHI field of a reviewer's free-text note.
	NoteField = "note"
)

// PolicyEntity is the entity that holds a workspace's review policy.
const PolicyEntity = "config/review"

// itemPrefix starts the entity of every review item.
const itemPrefix = "review/"

// gateTypes are the types that continue a fact's chain.
var gateTypes = map[string]bool{TypeJudged: true, TypeConfirmed: true, TypeCorrected: true, TypeWithdrawn: true}

// humanTypes are the chain events only a reviewer writes.
var humanTypes = map[string]bool{TypeConfirmed: true, TypeCorrected: true, TypeWithdrawn: true}

// IsChainType reports whether events of type t continue a fact's chain
// (a judgement or a reviewer's decision) rather than state a new fact.
func IsChainType(t string) bool { return gateTypes[t] }
