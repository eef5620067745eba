package call

import "frontdesk/voice"

// voiceGrammar is a grammar of phrases.
func voiceGrammar(name string, phrases ...string) voice.Grammar {
	return voice.Grammar{Name: name, Phrases: phrases}
}
