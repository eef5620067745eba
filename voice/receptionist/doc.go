// Package receptionist is the dialogue a clinic's caller talks to: it
// greets, identifies the caller (name by speech, date of birth by keypad),
// verifies them through the identity gate, and then tells them their
// appointments, books, cancels or moves one, takes a new pharmacy, phone
// number or address for review, or transfers them to staff. Emergencies and
// self-harm, heard by the monitors on any turn, end the dialogue with advice
// to dial 911 and a transfer.
//
// Every turn is constrained by a grammar built for it (the workspace's
// patient names, the menu, yes and no, pharmacies, streets), which is what
// makes local recognition accurate. Clinic facts (hours, address,
// providers) are the ambient channel and are said to anyone; patient facts
// are the queried channel: they are reached only through tools that the
// identity gate lets run once the caller is verified, and each read is
// recorded. What a caller states about themselves becomes a voice fact at
// confidence 0.5 that the review judge checks against the transcript and a
// member of staff approves before it may reach the EHR.
//
// By default the dialogue is deterministic. With a chat provider
// configured (a BAA destination, or a redacting one that receives only
// pseudonymised text), an LLM may drive the conversation with the same
// tools and the same gates (llm.go).
package receptionist
