package sphinx

import "math"

// Confidence calibration.
//
// Pocketsphinx scores every frame's senones relative to the best active
// senone of that frame, so an acoustic score divided by its number of
// frames is an average log-likelihood ratio between the recognised path
// and the best unconstrained choice of sound in each frame: near zero when
// the audio fits, strongly negative when the grammar forces a poor match.
// Scores are in units of 1024·ln(1.0001) ≈ 0.1 nat; grammar transition
// scores are excluded, so the figures do not depend on the grammar's size.
//
// Two averages are used. The whole path's (words, silence and noise)
// falls when speech outside the grammar has to be absorbed somewhere; the
// words' own falls when the decoder squeezes a word into silence or noise,
// where the whole path's average is flattered by well-matched silence.
// Confidence is the smaller of two logistic functions of them.
//
// The midpoints were set on synthetic speech: espeak-ng in four voices at
// two speeds and flite, at 16 kHz and through G.711 μ-law at 8 kHz, against
// 10-phrase menu and name grammars. Over the whole path, correct results
// averaged −20 per frame at 16 kHz and −24 on narrowband audio, while
// out-of-grammar sentences and misrecognitions averaged −39 to −44; words
// decoded from silence averaged below −100 per word frame. At 0.5, 27 of 29
// wrong results and all silence fell below, as did no correct wideband
// result and 18 of 159 correct narrowband ones: treat confidence under 0.5
// as "confirm with the caller".
//
// Pocketsphinx's own posterior (ps_get_prob) is not used: for grammar
// searches it is 1 for every utterance, right or wrong.
const (
	pathMidpoint = -35.0
	wordMidpoint = -65.0
	scoreScale   = 4.0
)

// confidence maps a decoder result to 0..1.
func confidence(res result) float64 {
	if res.text == "" || res.pathFrames == 0 || res.wordFrames == 0 {
		return 0
	}
	path := float64(res.pathScore) / float64(res.pathFrames)
	word := float64(res.wordScore) / float64(res.wordFrames)
	return min(logistic((path-pathMidpoint)/scoreScale), logistic((word-wordMidpoint)/scoreScale))
}

func logistic(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
