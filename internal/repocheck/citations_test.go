package repocheck

import (
	"bufio"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// root is the repository, two levels above this package.
const root = "../.."

// cited are the files whose text may cite something: source, docs,
// configuration, testdata headers and vectors.
func cited(path string) bool {
	switch filepath.Base(path) {
	case "Makefile":
		return true
	}
	switch filepath.Ext(path) {
	case ".go", ".md", ".yaml", ".yml", ".hex", ".txt", ".json", ".html", ".js", ".sh":
		return true
	}
	return false
}

// teamOnly matches citations of material a reader of the repository does
// not have: the team's notes and specification, the original documents
// they were written from, their style guide, and issue numbers. A "[/]" or
// "[ ]" in a pattern is a plain "/" or " ", written so that a grep for the
// literal forms finds only real citations, not this file.
var teamOnly = []struct {
	what string
	re   *regexp.Regexp
}{
	{"the team's shared directory", regexp.MustCompile(`\bshared[/](protocols|seeds|notes|SPEC|STYLE)|/work[/]shared\b`)},
	{"the team's specification", regexp.MustCompile(`\bSPEC(\.md| §)`)},
	{"the team's style guide", regexp.MustCompile(`\bSTYLE\.md\b`)},
	{"the original documents", regexp.MustCompile(`\bseeds[/]0|\bSEED[S] \d`)},
	{"the team's stack notes", regexp.MustCompile(`\bnotes[/]stack`)},
	// (Lower case: "Issue 1.2" is an edition of the public SMPP specification.)
	{"an issue number", regexp.MustCompile(`\bissue[ ]#?\d`)},
	{"a README section file that does not exist", regexp.MustCompile(`README\.section\.md`)},
	// A protocol note by its bare file name: the repository's pages are
	// docs/protocols/<name>.md (inside docs/, protocols/<name>.md, and
	// <name>.md between the protocol pages themselves).
	{"a protocol note outside docs/protocols", regexp.MustCompile(`(^|[^/\w-])(sgip12|cmpp|smgp30|smpp34|long-sms)\.md\b`)},
}

// exempt: a protocol page may name its neighbours by file name.
func exempt(path, what string) bool {
	return what == "a protocol note outside docs/protocols" && strings.HasPrefix(filepath.ToSlash(path), "docs/protocols/")
}

type hit struct {
	path string
	line int
	text string
}

// walk calls fn for every line of every cited file, with its path relative
// to the repository root.
func walk(t *testing.T, fn func(path string, line int, text string)) {
	t.Helper()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", "node_modules", "bin", "data":
				return filepath.SkipDir
			}
			return nil
		}
		if !cited(p) {
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
		for n := 1; sc.Scan(); n++ {
			fn(rel, n, sc.Text())
		}
		return sc.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestNoTeamOnlyCitations fails when a file cites something outside the
// repository. Write the fact into the comment, or into a page under docs/
// and cite that (docs/README.md).
func TestNoTeamOnlyCitations(t *testing.T) {
	var hits []string
	walk(t, func(path string, line int, text string) {
		if path == "internal/repocheck/citations_test.go" {
			return // the patterns themselves
		}
		for _, p := range teamOnly {
			if p.re.MatchString(text) && !exempt(path, p.what) {
				hits = append(hits, fmt.Sprintf("%s:%d: cites %s: %s", path, line, p.what, strings.TrimSpace(text)))
			}
		}
	})
	for _, h := range hits {
		t.Error(h)
	}
	if len(hits) > 0 {
		t.Log("cite the repository's own pages instead (docs/README.md, Citing), or state the fact itself")
	}
}

// docsCitation is a page under docs/ and, optionally, a section of it:
// "docs/protocols/cmpp.md §9.3", "docs/authorization.md §3c".
var docsCitation = regexp.MustCompile(`\bdocs/([\w./-]+\.md)(?: §(\d+[a-z]?(?:\.\d+)?))?`)

// TestDocsCitationsResolve fails when a citation names a page under docs/
// that does not exist, or a section the page does not have.
func TestDocsCitationsResolve(t *testing.T) {
	sections := map[string]map[string]bool{} // page → its section numbers
	read := func(page string) (map[string]bool, bool) {
		if s, ok := sections[page]; ok {
			return s, s != nil
		}
		b, err := os.ReadFile(filepath.Join(root, "docs", filepath.FromSlash(page)))
		if err != nil {
			sections[page] = nil
			return nil, false
		}
		s := map[string]bool{}
		heading := regexp.MustCompile(`^#{1,6} (\d+[a-z]?(?:\.\d+)?)[.\s]`)
		for _, l := range strings.Split(string(b), "\n") {
			if m := heading.FindStringSubmatch(l); m != nil {
				s[m[1]] = true
			}
		}
		sections[page] = s
		return s, true
	}
	checked := 0
	walk(t, func(path string, line int, text string) {
		for _, m := range docsCitation.FindAllStringSubmatch(text, -1) {
			page, sec := m[1], m[2]
			s, ok := read(page)
			switch {
			case !ok:
				t.Errorf("%s:%d: cites docs/%s, which does not exist", path, line, page)
			case sec != "" && !s[sec]:
				t.Errorf("%s:%d: cites docs/%s §%s, which has no such section", path, line, page, sec)
			}
			checked++
		}
	})
	if checked == 0 {
		t.Fatal("no docs/ citation found: is the walk looking at the repository?")
	}
	t.Logf("%d citations of docs/ checked", checked)
}

// TestPatternsCatchTeamOnlyCitations keeps the patterns honest: each must
// catch the forms that were in the tree before the docs/ pages existed, and
// let the repository's own citations through. (The bad examples are split
// in two for the same reason as the patterns' "[/]".)
func TestPatternsCatchTeamOnlyCitations(t *testing.T) {
	bad := []string{
		"// the rules of shared" + "/see" + "ds/000",
		"// (SPEC" + " §3.6)",
		"// nats-server's ClosedState, STYLE.md §1",
		"// web on-demand (seeds" + "/000 §1.1 step 4)",
		"// Noti_SP, SEED" + "S 000 step 10",
		"// one Write per OnTraffic (notes" + "/stack.md)",
		"// SGIP is one-way per connection (sgip12" + ".md §2)",
		"// (cmpp" + ".md §9.3)",
		"// gracefully (issue" + " 4 §9)",
		"# bench/ (issue" + " 6): end-to-end benchmarks",
		"// see issue" + " #12",
		"// persisted for how long are in README.section" + ".md",
	}
	for _, text := range bad {
		caught := false
		for _, p := range teamOnly {
			caught = caught || p.re.MatchString(text)
		}
		if !caught {
			t.Errorf("not caught: %q", text)
		}
	}
	good := []string{
		"// SGIP is one-way per connection (docs/protocols/sgip12.md §2)",
		"// (docs/protocols/cmpp.md §14 V10)",
		"// the rules of docs/authorization.md §3 step 12",
		"// go test ./authcache/redisstore (redisstore/shared.go)",
		"// the issue of the LinkID",
		"// SPSMG_WRITE_CORPUS=1 writes the seed corpus",
		`// SMPP 3.4 ("Short Message Peer to Peer Protocol Specification v3.4", Issue 1.2)`,
	}
	for _, text := range good {
		for _, p := range teamOnly {
			if p.re.MatchString(text) {
				t.Errorf("%q caught as %s", text, p.what)
			}
		}
	}
}
