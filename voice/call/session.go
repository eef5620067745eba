package call

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	pionrtp "github.com/pion/rtp"

	"frontdesk/ledger"
	"frontdesk/voice"
	"frontdesk/voice/dtmf"
	"frontdesk/voice/emotion"
	"frontdesk/voice/recording"
	"frontdesk/voice/rtp"
	"frontdesk/voice/vad"
)

// Line is the signalling side of a call: what a dialogue can do with it
// besides talk.
type Line interface {
	// ID identifies the call; safe to log.
	ID() string
	// Transport is udp, tcp, tls or webrtc.
	Transport() string
	// Media is the call's audio.
	Media() voice.Media
	// Done is closed when the call has ended.
	Done() <-chan struct{}
	// Hangup ends the call.
	Hangup() error
	// Transfer hands the caller to target (the staff line when empty).
	Transfer(ctx context.Context, target string) error
}

// Detacher is a Line whose audio can be handed to a bridge, as a transfer
// that relays the call to another party does: Detach stops the session's
// use of the line's media (its reads and writes fail from then on, and
// closing it does nothing) and returns the media for the bridge. The line
// then ends when the bridge hangs it up.
type Detacher interface {
	Detach() voice.Media
}

// Recorder appends events to the workspace ledger; *ledger.Ledger is one.
type Recorder interface {
	Append(ctx context.Context, e ledger.Event) (*ledger.Event, error)
	SealAux(purpose string, plaintext []byte) ([]byte, error)
	OpenAux(purpose string, ciphertext []byte) ([]byte, error)
}

// Config tunes a Session.
type Config struct {
	// Recognizer and Synthesizer are the speech engines. Required.
	Recognizer  voice.Recognizer
	Synthesizer voice.Synthesizer
	// EndSilence ends an utterance after this much silence (default
	// 400 ms: short enough for a brisk turn, long enough for a pause
	// between words).
	EndSilence time.Duration
	// MaxUtterance bounds one utterance (default 15 s).
	MaxUtterance time.Duration
	// JitterDepth is the playout delay (default 40 ms).
	JitterDepth time.Duration
	// RecordingDir, when set, keeps an encrypted recording of both sides.
	RecordingDir string
	// RetentionDays is how long recordings are kept (default 2,190).
	RetentionDays int
	// Workspace names the ledger, for the recording header.
	Workspace string
	// From and To identify the parties; they are PHI and go into the
	// ledger only as PHI fields.
	From, To string
	// Now returns the current time; tests inject clocks.
	Now func() time.Time
}

func (c *Config) defaults() {
	if c.EndSilence == 0 {
		c.EndSilence = 400 * time.Millisecond
	}
	if c.MaxUtterance == 0 {
		c.MaxUtterance = 15 * time.Second
	}
	if c.JitterDepth == 0 {
		c.JitterDepth = 40 * time.Millisecond
	}
	if c.RetentionDays == 0 {
		c.RetentionDays = 2190
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// preRoll is how much audio before the detected start of speech an
// utterance keeps: the detector reports a start some frames late.
const preRoll = 15 // frames, 300 ms

// Session is the media side of one call.
type Session struct {
	cfg    Config
	line   Line
	media  voice.Media
	rec    Recorder
	entity string

	codec  rtp.Codec
	sender *rtp.Sender
	jb     *rtp.JitterBuffer
	record *recording.Writer

	started time.Time
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup

	events chan inputEvent
	// pending holds events Say saw but did not consume; only the
	// dialogue's goroutine touches it.
	pending []inputEvent
	// answered is the utterance a turn already ended on early; its end is
	// ignored. Dialogue goroutine only.
	answered int

	mu        sync.Mutex
	subject   string
	turns     int
	lastTurn  string
	rfc4733   bool
	endReason string
	ended     bool
	// transferred: the line belongs to whoever took the transfer (the
	// caller's phone, or a bridge), and End leaves it up.
	transferred bool
	mood        *emotion.Analyzer
	moods       []emotion.Turn
}

// inputEvent is what the listener reports to the dialogue.
type inputEvent struct {
	kind   inputKind
	digit  rune
	pcm    []int16 // the utterance so far, for speechEnd and pause
	at     time.Time
	reason vad.EndReason
	utt    int // which utterance, counting from 1
}

type inputKind uint8

const (
	evSpeechStart inputKind = iota + 1
	evSpeechEnd
	evDigit
	// evPause reports a short silence inside an utterance: the dialogue
	// may decode what was said so far and, if it is a confident, complete
	// answer, end the turn early instead of waiting for the full
	// end-of-utterance silence.
	evPause
)

// pauseFrames is the silence after which an utterance is decoded early
// (240 ms).
const pauseFrames = 12

// Start begins the media of a call and records call.started.
func Start(ctx context.Context, line Line, rec Recorder, cfg Config) (*Session, error) {
	cfg.defaults()
	if cfg.Recognizer == nil || cfg.Synthesizer == nil {
		return nil, errors.New("call: a recognizer and a synthesizer are required")
	}
	media := line.Media()
	c := media.Codec()
	codec, err := rtp.CodecFor(c.PayloadType)
	if err != nil {
		return nil, fmt.Errorf("call %s: %w", line.ID(), err)
	}
	s := &Session{
		cfg: cfg, line: line, media: media, rec: rec, entity: "call/" + line.ID(),
		codec: codec, started: cfg.Now(), events: make(chan inputEvent, 64),
		mood: emotion.NewAnalyzer(),
	}
	s.jb = rtp.NewJitterBuffer(rtp.JitterConfig{Depth: cfg.JitterDepth, MinDepth: cfg.JitterDepth})
	s.sender, err = rtp.NewSender(&mediaWriter{s: s}, rtp.SenderConfig{Codec: codec, EventPayloadType: c.EventPayloadType})
	if err != nil {
		return nil, fmt.Errorf("call %s: %w", line.ID(), err)
	}
	attrs := map[string]string{"transport": line.Transport(), "codec": codec.String(), "direction": "inbound"}
	if cfg.RecordingDir != "" {
		s.record, err = recording.Create(cfg.RecordingDir, cfg.Workspace, line.ID(), s.started, rec)
		if err != nil {
			return nil, fmt.Errorf("call %s: %w", line.ID(), err)
		}
		attrs["recording"] = "encrypted"
		attrs["retention_days"] = fmt.Sprint(cfg.RetentionDays)
		attrs["recording_expires"] = s.started.AddDate(0, 0, cfg.RetentionDays).UTC().Format(time.RFC3339)
	}
	phi := map[string]string{}
	if cfg.From != "" {
		phi["from"] = cfg.From
	}
	if cfg.To != "" {
		phi["to"] = cfg.To
	}
	if _, err := rec.Append(ctx, ledger.Event{
		Entity: s.entity, Type: "call.started", Source: ledger.SourceSystem, Confidence: 1,
		Actor: "agent/receptionist", Attrs: attrs, PHI: phi,
	}); err != nil {
		if s.record != nil {
			s.record.Close()
		}
		return nil, fmt.Errorf("call %s: %w", line.ID(), err)
	}
	s.ctx, s.cancel = context.WithCancel(ctx)
	s.wg.Add(3)
	go s.readLoop()
	go s.listenLoop()
	go func() {
		defer s.wg.Done()
		s.sender.Run(s.ctx)
	}()
	go func() {
		select {
		case <-line.Done():
			s.cancel()
		case <-s.ctx.Done():
		}
	}()
	return s, nil
}

// ID is the call's ID.
func (s *Session) ID() string { return s.line.ID() }

// Entity is the call's ledger entity, call/<id>.
func (s *Session) Entity() string { return s.entity }

// Context is done when the call has ended.
func (s *Session) Context() context.Context { return s.ctx }

// SetSubject makes later turns' PHI belong to subject (the caller, once
// identified), so that erasing the patient erases what they said.
func (s *Session) SetSubject(subject string) {
	s.mu.Lock()
	s.subject = subject
	s.mu.Unlock()
}

// mediaWriter hands the sender's packets to the transport and to the
// recording: the recording holds exactly what the caller was sent.
type mediaWriter struct {
	s   *Session
	pcm []int16
}

func (w *mediaWriter) Write(b []byte) (int, error) {
	var p pionrtp.Packet
	if err := p.Unmarshal(b); err != nil {
		return 0, err
	}
	if w.s.record != nil && p.PayloadType == w.s.codec.PayloadType() {
		w.pcm = w.s.codec.Decode(w.pcm[:0], p.Payload)
		w.s.record.Agent(w.pcm)
	}
	if err := w.s.media.WriteRTP(&p); err != nil {
		return 0, err
	}
	return len(b), nil
}

// readLoop feeds received packets to the jitter buffer and the RFC 4733
// receiver until the media closes.
func (s *Session) readLoop() {
	defer s.wg.Done()
	var dr dtmf.Receiver
	evPT := s.media.Codec().EventPayloadType
	for {
		p, err := s.media.ReadRTP()
		if err != nil {
			s.cancel()
			return
		}
		// Every packet goes through the jitter buffer, so its loss and
		// jitter counts cover the whole stream; it hands back events.
		if v := s.jb.Push(p, time.Now()); v == rtp.Passed && evPT != 0 && p.PayloadType == evPT {
			d, ok, err := dr.Push(p.Timestamp, p.Payload)
			if err == nil && ok {
				s.mu.Lock()
				s.rfc4733 = true
				s.mu.Unlock()
				s.emit(inputEvent{kind: evDigit, digit: d, at: s.cfg.Now()})
			}
		}
	}
}

// emit queues an event for the dialogue, dropping the oldest if the
// dialogue has fallen far behind.
func (s *Session) emit(e inputEvent) {
	select {
	case s.events <- e:
	default:
		select {
		case <-s.events:
		default:
		}
		select {
		case s.events <- e:
		default:
		}
	}
}

// listenLoop pops one frame per 20 ms and runs detection on it.
func (s *Session) listenLoop() {
	defer s.wg.Done()
	det := vad.New(vad.Config{EndSilence: s.cfg.EndSilence, MaxUtterance: s.cfg.MaxUtterance})
	inband := dtmf.NewDetector()
	pacer := rtp.NewPacer(rtp.FrameDuration, nil)
	frame := make([]int16, rtp.FrameSamples)
	ring := make([][]int16, 0, preRoll)
	var utterance []int16
	speaking := false
	utt, quiet := 0, 0
	var digits []rune
	for {
		n, err := pacer.Wait(s.ctx)
		if err != nil {
			return
		}
		for ; n > 0; n-- {
			s.jb.Pop(frame)
			if s.record != nil {
				s.record.Caller(frame)
			}
			res := det.Process(frame)
			s.mu.Lock()
			useInband := !s.rfc4733
			s.mu.Unlock()
			if useInband {
				digits = inband.Detect(frame, digits[:0])
				for _, d := range digits {
					s.emit(inputEvent{kind: evDigit, digit: d, at: s.cfg.Now()})
				}
			}
			s.mood.Write(frame, res.Speaking)
			switch res.Event.Kind {
			case vad.SpeechStart:
				speaking, quiet = true, 0
				utt++
				utterance = utterance[:0]
				for _, f := range ring {
					utterance = append(utterance, f...)
				}
				s.emit(inputEvent{kind: evSpeechStart, at: s.cfg.Now(), utt: utt})
			case vad.SpeechEnd:
				speaking = false
				utterance = append(utterance, frame...)
				pcm := append([]int16(nil), utterance...)
				s.emit(inputEvent{kind: evSpeechEnd, pcm: pcm, at: s.cfg.Now(), reason: res.Event.Reason, utt: utt})
				if res.Event.Reason != vad.EndedAsNoise {
					t := s.mood.EndTurn()
					s.mu.Lock()
					s.moods = append(s.moods, t)
					s.mu.Unlock()
				}
				continue
			}
			if speaking {
				utterance = append(utterance, frame...)
				if res.Active {
					quiet = 0
				} else if quiet++; quiet == pauseFrames {
					s.emit(inputEvent{kind: evPause, pcm: append([]int16(nil), utterance...), at: s.cfg.Now(), utt: utt})
				}
			}
			// Keep the last frames for the next utterance's pre-roll.
			if len(ring) == preRoll {
				copy(ring, ring[1:])
				ring = ring[:preRoll-1]
			}
			ring = append(ring, append([]int16(nil), frame...))
		}
	}
}

// End hangs up (if the caller has not) and records the end of the call.
// It is safe to call more than once.
func (s *Session) End(reason string) error {
	s.mu.Lock()
	if s.ended {
		s.mu.Unlock()
		return nil
	}
	s.ended = true
	if s.endReason == "" {
		s.endReason = reason
	}
	reason = s.endReason
	s.mu.Unlock()
	s.mu.Lock()
	transferred := s.transferred
	s.mu.Unlock()
	select {
	case <-s.line.Done():
	default:
		if !transferred {
			s.line.Hangup()
		}
	}
	s.cancel()
	s.media.Close()
	s.wg.Wait()
	var firstErr error
	ctx := context.Background()
	s.recordEmotion(ctx)
	st := s.jb.Stats()
	ss := s.sender.Stats()
	attrs := map[string]string{
		"reason":            reason,
		"duration_ms":       fmt.Sprint(s.cfg.Now().Sub(s.started).Milliseconds()),
		"turns":             fmt.Sprint(s.turns),
		"packets_received":  fmt.Sprint(st.Received),
		"packets_lost":      fmt.Sprint(st.Lost),
		"packets_late":      fmt.Sprint(st.Late),
		"packets_sent":      fmt.Sprint(ss.Packets),
		"packets_sent_late": fmt.Sprint(ss.LateTicks),
		"ticks_skipped":     fmt.Sprint(ss.SkippedTicks),
	}
	if s.record != nil {
		n, err := s.record.Close()
		if err != nil {
			firstErr = err
		}
		attrs["recording_bytes"] = fmt.Sprint(n)
	}
	if _, err := s.rec.Append(ctx, ledger.Event{
		Entity: s.entity, Type: "call.ended", Source: ledger.SourceSystem, Confidence: 1,
		Actor: "agent/receptionist", Attrs: attrs,
	}); err != nil && firstErr == nil {
		firstErr = err
	}
	return firstErr
}

// recordEmotion writes the call's emotion aggregates: one event per call,
// with each caller turn's arousal and valence, and the trend.
func (s *Session) recordEmotion(ctx context.Context) {
	s.mu.Lock()
	moods := append([]emotion.Turn(nil), s.moods...)
	s.mu.Unlock()
	if len(moods) == 0 {
		return
	}
	attrs := map[string]string{"turns": fmt.Sprint(len(moods))}
	for i, t := range moods {
		attrs[fmt.Sprintf("turn.%d.arousal", i)] = fmt.Sprintf("%.2f", t.Arousal)
		attrs[fmt.Sprintf("turn.%d.arousal_confidence", i)] = fmt.Sprintf("%.2f", t.ArousalConfidence)
		attrs[fmt.Sprintf("turn.%d.valence", i)] = fmt.Sprintf("%.2f", t.Valence)
		attrs[fmt.Sprintf("turn.%d.valence_confidence", i)] = fmt.Sprintf("%.2f", t.ValenceConfidence)
		if i >= 20 {
			break
		}
	}
	last := moods[len(moods)-1]
	attrs["trend"] = last.Trend.String()
	attrs["slope"] = fmt.Sprintf("%.3f", last.Slope)
	s.rec.Append(ctx, ledger.Event{
		Entity: s.entity, Type: "call.emotion", Source: ledger.SourceAgent, Confidence: last.ArousalConfidence,
		Actor: "agent/receptionist", Attrs: attrs,
	})
}
