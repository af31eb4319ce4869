package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/spsmg/spsmg/config"
)

// readmeSection returns the text of the README section whose heading line
// is heading, up to the next heading of the same or a higher level.
func readmeSection(t *testing.T, heading string) string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i := strings.Index(s, "\n"+heading+"\n")
	if i < 0 {
		t.Fatalf("README has no %q", heading)
	}
	s = s[i+len(heading)+2:]
	level := heading[:strings.IndexByte(heading, ' ')+1]
	for j := 0; j < len(s); {
		k := strings.IndexByte(s[j:], '\n')
		if k < 0 {
			break
		}
		line := s[j+k+1:]
		if strings.HasPrefix(line, "#") && (strings.HasPrefix(line, level) || strings.HasPrefix(line, level[1:])) {
			return s[:j+k+1]
		}
		j += k + 1
	}
	return s
}

// fenced returns the bodies of the ```lang blocks of text.
func fenced(text, lang string) []string {
	var out []string
	for {
		i := strings.Index(text, "```"+lang+"\n")
		if i < 0 {
			return out
		}
		text = text[i+len(lang)+4:]
		j := strings.Index(text, "```")
		if j < 0 {
			return out
		}
		out = append(out, text[:j])
		text = text[j+3:]
	}
}

// shellCommand is one command line as a POSIX shell would split it.
type shellCommand struct {
	args  []string
	stdin string // the file after '<', if any
}

// splitShell splits a script into commands the way sh does for the little
// the README uses: words, single and double quotes (spanning lines),
// backslash-newline, '<' redirection and '#' comments.
func splitShell(t *testing.T, script string) []shellCommand {
	t.Helper()
	var (
		cmds      []shellCommand
		cur       shellCommand
		word      strings.Builder
		inWord    bool
		redirect  bool
		endOfWord = func() {
			if !inWord {
				return
			}
			if redirect {
				cur.stdin, redirect = word.String(), false
			} else {
				cur.args = append(cur.args, word.String())
			}
			word.Reset()
			inWord = false
		}
	)
	for i := 0; i < len(script); i++ {
		c := script[i]
		switch {
		case c == '\\' && i+1 < len(script) && script[i+1] == '\n':
			i++
		case c == '\'' || c == '"':
			j := strings.IndexByte(script[i+1:], c)
			if j < 0 {
				t.Fatalf("unterminated %c in %q", c, script)
			}
			word.WriteString(script[i+1 : i+1+j])
			inWord = true
			i += j + 1
		case c == '#' && !inWord:
			for i+1 < len(script) && script[i+1] != '\n' {
				i++
			}
		case c == '<' && !inWord:
			redirect = true
		case c == ' ' || c == '\t':
			endOfWord()
		case c == '\n':
			endOfWord()
			if len(cur.args) > 0 {
				cmds = append(cmds, cur)
			}
			cur = shellCommand{}
		default:
			word.WriteByte(c)
			inWord = true
		}
	}
	endOfWord()
	if len(cur.args) > 0 {
		cmds = append(cmds, cur)
	}
	return cmds
}

// TestReadmeDecodeExamples runs every command of README "Decoding hex from
// logs" as printed, from the repository root, and checks the JSON shown
// against what the first one prints.
func TestReadmeDecodeExamples(t *testing.T) {
	section := readmeSection(t, "### Decoding hex from logs")
	var cmds []shellCommand
	for _, block := range fenced(section, "sh") {
		cmds = append(cmds, splitShell(t, block)...)
	}
	if len(cmds) < 3 {
		t.Fatalf("found %d commands in the section", len(cmds))
	}
	var outputs []string
	for _, c := range cmds {
		prefix := []string{"go", "run", "./cmd/spsmg"}
		if len(c.args) < 4 || !reflect.DeepEqual(c.args[:3], prefix) {
			t.Fatalf("%q is not `go run ./cmd/spsmg ...`", c.args)
		}
		var stdin bytes.Reader
		if c.stdin != "" {
			b, err := os.ReadFile(filepath.Join("../..", c.stdin))
			if err != nil {
				t.Fatalf("%q: %v", c.args, err)
			}
			stdin.Reset(b)
		}
		var out bytes.Buffer
		if err := run(c.args[3:], &stdin, &out); err != nil {
			t.Fatalf("%q < %s: %v", c.args, c.stdin, err)
		}
		var doc map[string]any
		if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
			t.Fatalf("%q: output is not JSON: %v", c.args, err)
		}
		outputs = append(outputs, out.String())
	}

	shown := fenced(section, "json")
	if len(shown) != 1 {
		t.Fatalf("want one JSON example in the section, found %d", len(shown))
	}
	var want, got any
	if err := json.Unmarshal([]byte(shown[0]), &want); err != nil {
		t.Fatalf("README JSON: %v", err)
	}
	if err := json.Unmarshal([]byte(outputs[0]), &got); err != nil {
		t.Fatal(err)
	}
	if path, ok := shownIn(want, got, ""); !ok {
		t.Fatalf("README JSON at %s differs from what %q prints:\n%s", path, cmds[0].args, outputs[0])
	}
}

// shownIn reports whether every value of want is in got, objects compared
// key by key ("...": "..." stands for the keys left out).
func shownIn(want, got any, path string) (string, bool) {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return path, false
		}
		for k, v := range w {
			if k == "..." {
				continue
			}
			if p, ok := shownIn(v, g[k], path+"."+k); !ok {
				return p, false
			}
		}
		return "", true
	default:
		return path, reflect.DeepEqual(want, got)
	}
}

func TestSplitShell(t *testing.T) {
	got := splitShell(t, "a 'b c' \"d\ne\" # note\nf \\\n g < file.hex  # x\n\n")
	want := []shellCommand{{args: []string{"a", "b c", "d\ne"}}, {args: []string{"f", "g"}, stdin: "file.hex"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// TestReadmeWalkthrough keeps README "The demo" in step with what `spsmg
// demo` prints at its default addresses (TestDemoWalkthrough runs that).
func TestReadmeWalkthrough(t *testing.T) {
	cfg, err := config.Parse(config.Demo)
	if err != nil {
		t.Fatal(err)
	}
	_, want, _ := strings.Cut(walkthrough(cfg, demoAt{sp: cfg.Listeners[0].Addr, http: cfg.HTTP.Addr, control: demoControlAddr}),
		walkthroughHeading+"\n\n")
	for _, block := range fenced(readmeSection(t, "### The demo"), "sh") {
		if strings.Contains(block, "spsmg_mt_decisions_total") {
			if block != want {
				t.Fatalf("README's walk-through differs from the printed one; it should read:\n%s", want)
			}
			return
		}
	}
	t.Fatalf("README \"The demo\" has no walk-through; it should read:\n%s", want)
}
