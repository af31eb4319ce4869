package config

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Problem is one thing wrong with a configuration: where it is, the YAML
// path of the value, and what is wrong with it, phrased for the operator
// (`accounts[1].tps: "fast" is not a number`).
type Problem struct {
	// Line and Column locate the value in the file (1-based). A problem
	// about a key the file leaves out carries the position of the nearest
	// enclosing key that is there; 0 when there is none (or the Config was
	// not read from YAML).
	Line, Column int
	// Path is the YAML path: accounts[1].tps, results.cmpp.not_subscribed.
	// Empty for a problem of the file as a whole (a syntax error).
	Path    string
	Message string
}

// String is "path: message".
func (p Problem) String() string {
	if p.Path == "" {
		return p.Message
	}
	return p.Path + ": " + p.Message
}

// Error is every problem found in one configuration, in file order. Load
// and Parse return it (as error) whenever they refuse a file; its Error
// text is one problem per line, each prefixed with file and line the way
// compilers do (`spsmg.yaml:12: accounts[1].tps: "fast" is not a number`).
type Error struct {
	// File is the path given to Load; empty for Parse.
	File     string
	Problems []Problem
}

func (e *Error) Error() string {
	var b strings.Builder
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteByte('\n')
		}
		switch {
		case e.File != "" && p.Line > 0:
			fmt.Fprintf(&b, "%s:%d: ", e.File, p.Line)
		case e.File != "":
			b.WriteString(e.File + ": ")
		case p.Line > 0:
			fmt.Fprintf(&b, "line %d: ", p.Line)
		}
		b.WriteString(p.String())
	}
	return b.String()
}

// sortProblems orders problems by their position in the file; problems
// with no position (a key missing at the top level) come first, and ties
// (one flow-style line, one enclosing key) go by path.
func sortProblems(ps []Problem) {
	slices.SortStableFunc(ps, func(a, b Problem) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column), cmp.Compare(a.Path, b.Path))
	})
}

// within reports whether path is base or lies under it
// (accounts[1].tps is within accounts[1] and accounts).
func within(path, base string) bool {
	if !strings.HasPrefix(path, base) {
		return false
	}
	rest := path[len(base):]
	return rest == "" || rest[0] == '.' || rest[0] == '['
}

// parentPath drops the last element of a path: accounts[1].tps →
// accounts[1] → accounts → "".
func parentPath(path string) string {
	i := strings.LastIndexAny(path, ".[")
	if i < 0 {
		return ""
	}
	return path[:i]
}

// suggest returns the candidate closest to s when it is close enough to
// be a typing mistake (tsp → tps, not_subscribd → not_subscribed).
func suggest(s string, candidates []string) string {
	best, bestD := "", 3
	if len(s) <= 3 {
		bestD = 2
	}
	for _, c := range candidates {
		if d := editDistance(s, c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance is the optimal-string-alignment distance: insertions,
// deletions, substitutions and swaps of two neighbours cost one each.
func editDistance(a, b string) int {
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
