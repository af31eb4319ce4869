package route

// MaxRecipients is the most recipients a Split holds: above what any
// protocol allows in one Submit (100 in SGIP, CMPP, SMGP; SMPP's
// submit_multi 254).
const MaxRecipients = 255

// Split is a Submit's recipients grouped by upstream: groups in the order
// of their first recipient, recipients in their Submit order within each
// group. It is a fixed-size value (a few kilobytes) meant to be owned by
// one event loop and reused; filling it does not allocate.
//
//	s.Reset()
//	for i := 0; i < v.DestCount; i++ {
//		s.Add(table.Lookup(v.Dest(i)))
//	}
//	if up, ok := s.Single(); ok { /* forward the Submit whole to up */ }
//	for g := 0; g < s.Groups(); g++ { up, idx := s.Group(g); … }
type Split struct {
	upstream [MaxRecipients]int8  // per recipient
	order    [MaxRecipients]uint8 // recipient indexes, grouped
	groups   [MaxUpstreams]group
	byUp     [MaxUpstreams]int8 // upstream → group + 1 (0: none yet)
	n        int
	ng       int
	noRoute  int  // recipients Lookup gave NoRoute
	laidOut  bool // order holds the groups of the recipients added
}

type group struct {
	upstream int8
	start    uint8 // into order, once Group is called
	count    uint8
}

// Reset empties s for the next Submit.
func (s *Split) Reset() {
	for g := 0; g < s.ng; g++ {
		s.byUp[s.groups[g].upstream] = 0
	}
	s.n, s.ng, s.noRoute = 0, 0, 0
}

// Add records the upstream of the next recipient (Table.Lookup's answer).
// It reports false, recording nothing, when s already holds
// MaxRecipients or upstream is outside 0–MaxUpstreams-1 and not NoRoute;
// NoRoute is recorded and counted (NoRoute), in no group.
func (s *Split) Add(upstream int) bool {
	if s.n == MaxRecipients || upstream < NoRoute || upstream >= MaxUpstreams {
		return false
	}
	s.upstream[s.n] = int8(upstream)
	s.n++
	s.laidOut = false
	if upstream == NoRoute {
		s.noRoute++
		return true
	}
	g := s.byUp[upstream]
	if g == 0 {
		s.groups[s.ng] = group{upstream: int8(upstream)}
		s.ng++
		g = int8(s.ng)
		s.byUp[upstream] = g
	}
	s.groups[g-1].count++
	return true
}

// SplitNumbers fills s from a recipient list: Reset, then Add(t.Lookup(n)) for
// each. False when there are more than MaxRecipients.
func (t *Table) SplitNumbers(s *Split, numbers [][]byte) bool {
	s.Reset()
	for _, n := range numbers {
		if !s.Add(t.Lookup(n)) {
			return false
		}
	}
	return true
}

// SplitStrings is SplitNumbers for strings.
func (t *Table) SplitStrings(s *Split, numbers []string) bool {
	s.Reset()
	for _, n := range numbers {
		if !s.Add(t.LookupString(n)) {
			return false
		}
	}
	return true
}

// Len is the number of recipients added.
func (s *Split) Len() int { return s.n }

// Upstream is the upstream of recipient i (NoRoute when it has none).
func (s *Split) Upstream(i int) int { return int(s.upstream[i]) }

// NoRoute is the number of recipients with no upstream (a table without a
// default route): the Submit cannot go as it is.
func (s *Split) NoRoute() int { return s.noRoute }

// Single reports whether every recipient goes to one upstream, and which:
// the common case, where the Submit is forwarded whole as before.
func (s *Split) Single() (upstream int, ok bool) {
	if s.ng == 1 && s.noRoute == 0 {
		return int(s.groups[0].upstream), true
	}
	return NoRoute, false
}

// Groups is the number of upstreams the recipients go to.
func (s *Split) Groups() int { return s.ng }

// Group returns group g's upstream and its recipients' indexes in the
// Submit, in Submit order. The slice points into s: valid until the next
// Reset. The first call after the last Add orders every group; it does
// not allocate.
func (s *Split) Group(g int) (upstream int, recipients []uint8) {
	if !s.laidOut {
		s.layOut()
		s.laidOut = true
	}
	gr := s.groups[g]
	return int(gr.upstream), s.order[gr.start : int(gr.start)+int(gr.count)]
}

// layOut places the groups one after the other in order, and each
// recipient in its group.
func (s *Split) layOut() {
	next := 0
	var fill [MaxUpstreams]uint8
	for g := 0; g < s.ng; g++ {
		s.groups[g].start = uint8(next)
		fill[g] = uint8(next)
		next += int(s.groups[g].count)
	}
	for i := 0; i < s.n; i++ {
		u := s.upstream[i]
		if u == NoRoute {
			continue
		}
		g := s.byUp[u] - 1
		s.order[fill[g]] = uint8(i)
		fill[g]++
	}
}
