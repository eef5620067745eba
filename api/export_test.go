package api

import (
	"context"
	"time"
)

// SetRecordAccess switches access events off or on. Only benchmarks use
// it, to measure what an access event costs; production has no switch.
func SetRecordAccess(s *Server, on bool) { s.recordAccess = on }

// SetAllowPeer replaces the admin socket's peer check.
func SetAllowPeer(s *Server, allow func(uid uint32) bool) { s.allowPeer = allow }

// VerifyOnSchedule runs the scheduled verification with test intervals.
func VerifyOnSchedule(s *Server, ctx context.Context, first, every time.Duration) {
	s.verifyOnSchedule(ctx, first, every)
}
