// Package phi finds and removes the HIPAA Safe Harbor identifiers (45 CFR
// 164.514(b)(2)) in short text: transcribed phone speech and clinical notes.
//
// A Detector tokenises a text once and runs rule-based recognisers over the
// tokens: numeric shapes (phones, SSNs, cards, dates, ZIP codes), spoken
// digit and date phrases ("five five five one two one two", "march third
// nineteen eighty"), cue phrases ("my name is", "member ID", "I live at"),
// and an embedded lexicon of frequent given names, surnames, everyday English
// words, places and street words. Names the caller already knows (a
// workspace's patients and staff) are found with certainty. Every span
// carries a score; spans below Options.MinScore are dropped.
//
// Offsets are in runes (Unicode code points), End exclusive, matching the
// offsets of Python strings used by common PII corpora and the JSON that
// `frontdesk redact --json` prints.
//
// Redact applies an Operator to the spans: Placeholder writes a typed
// placeholder ("[NAME]"), Mask writes asterisks of the same length, and a
// Pseudonymizer writes numbered surrogates ("[NAME_1]") that it can reverse
// in a model provider's reply with Reidentify.
//
// The package's recall and precision are measured by the phi/score package
// and the phieval command against a labelled corpus; see score's doc comment
// for the matching rule.
package phi
