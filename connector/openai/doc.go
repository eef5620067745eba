// Package openai is the appliance's client for model providers that speak
// the OpenAI HTTP API: chat completions with tool calling, audio
// transcription and speech synthesis. It sends nothing itself: every request
// goes through the egress gate (frontdesk/gate/egress) to a configured
// destination, which decides what of it may leave and records it in the
// ledger.
//
// Chat works with any destination class. For a redacted destination, a
// Conversation's pseudonymizer replaces PHI with numbered surrogates
// ("[NAME_1]") and Chat restores the originals in the reply, content and
// tool-call arguments alike, so the receptionist sees real values and the
// provider never does.
//
// Recognizer (voice.Recognizer) uploads each utterance as a WAV file to
// /audio/transcriptions when it finishes. Raw audio is a biometric
// identifier: it goes only to baa destinations, and Start refuses any other
// (the gate refuses it too, should the destination change class meanwhile).
//
// Synthesizer (voice.Synthesizer) asks /audio/speech for WAV (or raw PCM)
// and converts it to 8 kHz, the rate of call audio. A prompt is audio the
// caller hears, so placeholders cannot stand in for PHI: if the gate had to
// redact anything from the text, Synthesize fails with ErrRedactedPrompt
// and the caller should speak it with the local voice instead.
//
// Timeouts, retries with backoff and the limit on response size are the
// destination's, applied by the gate; requests are marked idempotent, as
// none of these endpoints changes anything at the provider. A provider that
// is down yields an error wrapping egress.ErrUnavailable.
package openai
