package proxy_test

import (
	"testing"

	"github.com/spsmg/spsmg/codec"
)

// TestReportsAcknowledgedOnce: every status report of a few thousand
// Submits is delivered to the SP, written to the outbox and acknowledged
// to the SMG exactly once, with the SMG's own sequence: the loop's
// acknowledgement inbox and the acks it reuses (deliver.go) neither lose
// nor mix up an acknowledgement. The SMG counts an acknowledgement of no
// pending report (UnknownAcks) and resends one that was not acknowledged
// in time (ReportsResent).
func TestReportsAcknowledgedOnce(t *testing.T) {
	const total = 5000
	r := newForwardRig(t, codec.CMPP30, 4, 64)
	r.needReport = true
	r.run(t, total)
	h := r.h
	h.eventually("the SMG has every report acknowledged", func() bool {
		s := h.smg.Stats()
		return s.ReportsSent == total && s.ReportsAcked == total
	})
	s := h.smg.Stats()
	if s.ReportsResent != 0 || s.UnknownAcks != 0 || s.Nacks != 0 || s.Pending != 0 {
		t.Errorf("reports sent %d acked %d resent %d, unknown acks %d, nacks %d, pending %d: want each acknowledged once with result 0",
			s.ReportsSent, s.ReportsAcked, s.ReportsResent, s.UnknownAcks, s.Nacks, s.Pending)
	}
}
