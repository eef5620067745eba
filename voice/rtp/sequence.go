package rtp

// The sequence-number rules follow RFC 3550 appendix A.1: a jump of up to
// maxDropout ahead is a gap (loss), up to maxMisorder behind is reordering,
// and anything else is a stray packet until a second, consecutive one
// confirms that the sender restarted its numbering.
const (
	maxDropout  = 3000
	maxMisorder = 100
	// seenWindow is how many recent sequence numbers are remembered for
	// duplicate detection; it covers the misorder allowance.
	seenWindow = 256
)

// seqResult classifies one sequence number.
type seqResult uint8

const (
	seqNew       seqResult = iota // ahead of every earlier packet
	seqReordered                  // behind the newest, not seen before
	seqDuplicate                  // seen before
	seqTooOld                     // behind the remembered window
	seqStray                      // a large jump, not (yet) confirmed
	seqRestart                    // a confirmed jump: the numbering restarted
)

// sequence tracks the extended (wrap-free) sequence numbers of one RTP
// source and counts what RFC 3550 needs for its loss figures.
type sequence struct {
	base, max int64 // extended numbers of the first and newest packets
	received  uint64
	bad       uint16 // the number that would confirm a stray jump
	haveBad   bool
	seen      [seenWindow / 64]uint64
}

// reset starts tracking at seq, which counts as received.
func (s *sequence) reset(seq uint16) {
	s.base, s.max = int64(seq), int64(seq)
	s.received = 1
	s.haveBad = false
	s.seen = [seenWindow / 64]uint64{}
	s.mark(s.max)
}

// expected is the number of packets from the first to the newest.
func (s *sequence) expected() uint64 { return uint64(s.max - s.base + 1) }

// lost is the cumulative number of packets never received, as RFC 3550
// defines it (late packets count as received).
func (s *sequence) lost() uint64 {
	if e := s.expected(); e > s.received {
		return e - s.received
	}
	return 0
}

func (s *sequence) mark(ext int64) {
	i := uint64(ext) % seenWindow
	s.seen[i/64] |= 1 << (i % 64)
}

func (s *sequence) marked(ext int64) bool {
	i := uint64(ext) % seenWindow
	return s.seen[i/64]&(1<<(i%64)) != 0
}

// accept classifies seq and, unless it is a duplicate, stray, too old or
// a restart (which the caller handles with reset), records it. It returns the extended sequence number.
func (s *sequence) accept(seq uint16) (int64, seqResult) {
	udelta := seq - uint16(s.max)
	switch {
	case udelta == 0:
		return s.max, seqDuplicate
	case udelta < maxDropout:
		ext := s.max + int64(udelta)
		// Forget the numbers the window slides past.
		if udelta >= seenWindow {
			s.seen = [seenWindow / 64]uint64{}
		} else {
			for e := s.max + 1; e <= ext; e++ {
				i := uint64(e) % seenWindow
				s.seen[i/64] &^= 1 << (i % 64)
			}
		}
		s.max = ext
		s.haveBad = false
		s.received++
		s.mark(ext)
		return ext, seqNew
	case udelta <= 1<<16-maxMisorder:
		if s.haveBad && seq == s.bad {
			// The caller takes the count so far and resets.
			return 0, seqRestart
		}
		s.bad, s.haveBad = seq+1, true
		return 0, seqStray
	default:
		ext := s.max - int64(1<<16-int(udelta))
		if s.max-ext >= seenWindow {
			return ext, seqTooOld
		}
		if s.marked(ext) {
			return ext, seqDuplicate
		}
		s.mark(ext)
		s.received++
		if ext < s.base {
			s.base = ext
		}
		return ext, seqReordered
	}
}
