package route

import (
	"sync/atomic"

	"github.com/spsmg/spsmg/codec"
)

// Join merges the answers to the Submits a split Submit became (one per
// group of a Split) into the SP's one answer (docs/routing.md §4):
//
//   - Result is OK when at least one group was accepted: some recipients
//     have the message, and answering a refusal would make the SP send it
//     to them again. The recipients of the refused groups (and any without
//     a route) are then listed by Failures: each gets a failure report
//     (REJECTD) under its own id, when the SP asked for reports.
//   - When every group was refused, Result is the class of the first group,
//     in group order, whose refusal is retryable (busy, throttled), else
//     the first group's: a retry then reaches only recipients none of whom
//     got the message, and one group's retryable refusal is not hidden
//     behind another's permanent one.
//
// The message id the SP gets is not the Join's business: it is one id
// spsmg makes for the whole Submit in the SP's layout, and each
// recipient's report route maps the upstream's id to the SP's id of that
// recipient (docs/routing.md §5).
//
// Answer may be called from any goroutine (the groups' upstreams may be
// on different event loops); exactly one call returns true, the one that
// completes the Join, and after it Result and Failures may be read by
// that goroutine.
type Join struct {
	n       int                         // recipients
	ng      int                         // groups
	group   [MaxRecipients]int8         // recipient → group; NoRoute: none
	classes [MaxUpstreams]atomic.Uint32 // class + 1; 0 = not answered
	pending atomic.Int32
}

// Init readies j for the Submit s describes (after its last Add). It
// copies what it needs: s may be reset and reused at once. It does not
// allocate.
func (j *Join) Init(s *Split) {
	j.n, j.ng = s.n, s.ng
	for i := 0; i < s.n; i++ {
		if u := s.upstream[i]; u == NoRoute {
			j.group[i] = NoRoute
		} else {
			j.group[i] = s.byUp[u] - 1
		}
	}
	for g := range j.classes {
		j.classes[g].Store(0)
	}
	j.pending.Store(int32(s.ng))
}

// Answer records group g's answer: the class of its upstream's answer
// (for a translated group, its Plan's class; a timeout or a lost bind,
// codec.ResultBusy). It returns true for the answer that completes the
// Join. A second answer for the same group, or one for a group that does
// not exist, is ignored (false).
func (j *Join) Answer(g int, c codec.ResultClass) bool {
	if g < 0 || g >= j.ng {
		return false
	}
	if !j.classes[g].CompareAndSwap(0, uint32(c)+1) {
		return false
	}
	return j.pending.Add(-1) == 0
}

// Done reports whether every group has answered.
func (j *Join) Done() bool { return j.pending.Load() == 0 }

// Class is group g's answer, and whether it has one.
func (j *Join) Class(g int) (codec.ResultClass, bool) {
	v := j.classes[g].Load()
	return codec.ResultClass(v - 1), v != 0
}

// Result is the SP's answer once Done (the rule in the type's comment). A
// Submit none of whose recipients has a route is answered
// ResultBadDest.
func (j *Join) Result() codec.ResultClass {
	if j.ng == 0 {
		return codec.ResultBadDest
	}
	for g := 0; g < j.ng; g++ {
		if c, ok := j.Class(g); ok && c == codec.ResultOK {
			return codec.ResultOK
		}
	}
	for g := 0; g < j.ng; g++ {
		if c, ok := j.Class(g); ok && c.Retryable() {
			return c
		}
	}
	if c, ok := j.Class(0); ok {
		return c
	}
	return codec.ResultSystem // not Done: nothing to say yet
}

// Failures appends to dst, in Submit order, the recipients that get a
// failure report: when Result is OK, those of refused groups and those
// without a route. When every group was refused the SP learns it from the
// answer, and nothing is appended. It does not allocate when dst has room.
func (j *Join) Failures(dst []int) []int {
	if j.Result() != codec.ResultOK {
		return dst
	}
	for i := 0; i < j.n; i++ {
		g := j.group[i]
		if g == NoRoute {
			dst = append(dst, i)
			continue
		}
		if c, _ := j.Class(int(g)); c != codec.ResultOK {
			dst = append(dst, i)
		}
	}
	return dst
}
