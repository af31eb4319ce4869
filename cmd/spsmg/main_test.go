package main

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/spsmg/spsmg/config"
)

const goodConfig = `listeners: [{protocol: cmpp3, addr: "127.0.0.1:7890"}]
upstream: {protocol: cmpp3, addr: "127.0.0.1:17890", login: "901234", secret: s}
accounts:
  - {id: a, login: "900001", secret: x, access_numbers: ["106551"]}
  - {id: b, login: "900002", secret: y, access_numbers: ["106552"]}
`

const carriersConfig = `listeners: [{protocol: smpp, addr: "127.0.0.1:7890"}]
upstreams:
  - {name: cmcc, protocol: cmpp3, addr: "127.0.0.1:17890", login: "901234", secret: s, carrier: cmcc}
  - {name: unicom, protocol: sgip, addr: "127.0.0.1:17891", login: "901235", secret: s, carrier: unicom,
     inbound: {addr: "127.0.0.1:17892", login: smg, secret: t}}
routing: {default: cmcc}
accounts:
  - {id: a, login: "900001", secret: x, access_numbers: ["106551"]}
`

const badConfig = `listeners: [{protocol: cmpp3, addr: "7890"}]
upstream: {protocol: cmpp3, addr: "127.0.0.1:17890", login: "901234", secret: s, response_timeout: 10}
accounts:
  - {id: a, login: "900001", secret: x, access_numbers: ["106551"], tsp: 5}
log: {level: loud}
`

// TestCommandLine runs every subcommand's command-line handling: what
// goes to standard output and standard error, and the exit status
// (0 done or -h, 1 failed, 2 a mistake in the command line).
func TestCommandLine(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	readable := filepath.Join(dir, "readable.yaml")
	bad := filepath.Join(dir, "bad.yaml")
	carriers := filepath.Join(dir, "carriers.yaml")
	for f, body := range map[string]string{good: goodConfig, readable: goodConfig, bad: badConfig, carriers: carriersConfig} {
		if err := os.WriteFile(f, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(readable, 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name           string
		args           []string
		code           int
		stdout, stderr []string // each must appear
	}{
		{"no command", nil, 2, nil, []string{"spsmg: a command is required", "usage: spsmg <command>"}},
		{"unknown command", []string{"serv"}, 2, nil, []string{`spsmg: unknown command "serv"`, "usage: spsmg <command>"}},
		{"help", []string{"-h"}, 0, []string{"usage: spsmg <command>", "check   --config FILE"}, nil},
		{"help word", []string{"help"}, 0, []string{"usage: spsmg <command>"}, nil},

		{"serve -h", []string{"serve", "-h"}, 0, []string{"usage: spsmg serve --config FILE", "-config string"}, nil},
		{"serve --help", []string{"serve", "--help"}, 0, []string{"usage: spsmg serve --config FILE"}, nil},
		{"serve without --config", []string{"serve"}, 2, nil, []string{"spsmg serve: --config is required", "usage: spsmg serve"}},
		{"serve, unknown flag", []string{"serve", "--confg", "x"}, 2, nil, []string{"spsmg serve: flag provided but not defined: -confg", "usage: spsmg serve"}},
		{"serve, flag without value", []string{"serve", "--config"}, 2, nil, []string{"spsmg serve: flag needs an argument: -config"}},
		{"serve, extra argument", []string{"serve", "--config", good, "now"}, 2, nil, []string{`spsmg serve: unexpected argument "now"`}},
		{"serve, missing file", []string{"serve", "--config", filepath.Join(dir, "nope.yaml")}, 1, nil, []string{"spsmg: open ", "no such file"}},
		{"serve, bad file", []string{"serve", "--config", bad}, 1, nil, []string{bad + `:1: listeners[0].addr: "7890" is not host:port`}},

		{"check -h", []string{"check", "-h"}, 0, []string{"usage: spsmg check --config FILE", "-config string"}, nil},
		{"check without --config", []string{"check"}, 2, nil, []string{"spsmg check: --config is required"}},
		{"check, unknown flag", []string{"check", "-v"}, 2, nil, []string{"spsmg check: flag provided but not defined: -v"}},
		{"check, good file", []string{"check", "--config", good}, 0,
			[]string{"ok: " + good + ": listener cmpp3 127.0.0.1:7890; upstream cmpp3 127.0.0.1:17890 (1 bind per loop, window 256); 2 accounts; http 127.0.0.1:8080; store data\n"}, nil},
		{"check, several upstreams", []string{"check", "--config", carriers}, 0,
			[]string{"ok: " + carriers + ": listener smpp 127.0.0.1:7890; upstreams cmcc cmpp3 127.0.0.1:17890 (default), unicom sgip 127.0.0.1:17891 (inbound 127.0.0.1:17892); 1 account;"}, nil},
		{"check, good file readable by others", []string{"check", "--config", readable}, 0,
			[]string{"ok: " + readable + ": ", "warning: " + readable + " holds secrets and is readable by group/others"}, nil},
		{"check, bad file lists every problem", []string{"check", "--config", bad}, 1, nil, []string{
			bad + `:1: listeners[0].addr: "7890" is not host:port` + "\n" +
				bad + `:2: upstream.response_timeout: 10 is not a duration (write 10s)` + "\n" +
				bad + `:4: accounts[0].tsp: unknown key (did you mean tps?)` + "\n" +
				bad + `:5: log.level: "loud" is not a level (want debug, info, warn or error)` + "\n"}},

		{"demo -h", []string{"demo", "-h"}, 0, []string{"usage: spsmg demo", "-mo-rate float"}, nil},
		{"demo, unknown flag", []string{"demo", "--date", "x"}, 2, nil, []string{"spsmg demo: flag provided but not defined: -date", "usage: spsmg demo"}},
		{"demo, bad value", []string{"demo", "--mo-rate", "many"}, 2, nil, []string{`spsmg demo: invalid value "many" for flag -mo-rate`}},
		{"demo, extra argument", []string{"demo", "x"}, 2, nil, []string{`spsmg demo: unexpected argument "x"`}},
		{"demo, bad config", []string{"demo", "--config", bad}, 1, nil, []string{bad + ":5: log.level"}},

		{"decode -h", []string{"decode", "-h"}, 0, []string{"usage: spsmg decode", "-proto string"}, nil},
		{"decode without --proto", []string{"decode", "00"}, 2, nil, []string{"spsmg decode: --proto is required", "usage: spsmg decode"}},
		{"decode, unknown flag", []string{"decode", "--prot", "sgip"}, 2, nil, []string{"spsmg decode: flag provided but not defined: -prot"}},
		{"decode, unknown protocol", []string{"decode", "--proto", "cmpp4", "00"}, 2, nil, []string{`spsmg decode: --proto "cmpp4": want one of`}},
		{"decode, bad hex", []string{"decode", "--proto", "cmpp3", "0z"}, 1, nil, []string{"spsmg: decode: input offset 1: 'z' is not a hex digit"}},

		{"version", []string{"version"}, 0, []string{"spsmg ", "\ngo        go1."}, nil},
		{"version -h", []string{"version", "-h"}, 0, []string{"usage: spsmg version"}, nil},
		{"version, extra argument", []string{"version", "x"}, 2, nil, []string{`spsmg version: unexpected argument "x"`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := exitStatus(run(c.args, strings.NewReader(""), &stdout), &stderr)
			if code != c.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, c.code, stdout.String(), stderr.String())
			}
			for _, w := range c.stdout {
				if !strings.Contains(stdout.String(), w) {
					t.Errorf("stdout lacks %q:\n%s", w, stdout.String())
				}
			}
			for _, w := range c.stderr {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr.String())
				}
			}
			if c.stdout == nil && stdout.Len() > 0 {
				t.Errorf("stdout not empty: %s", stdout.String())
			}
			if c.stderr == nil && stderr.Len() > 0 {
				t.Errorf("stderr not empty: %s", stderr.String())
			}
		})
	}
}

func TestCheckAcceptsTheDemoConfig(t *testing.T) {
	path := filepath.Join(t.TempDir(), "demo.yaml")
	if err := os.WriteFile(path, config.Demo, 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := exitStatus(run([]string{"check", "--config", path}, nil, &stdout), &stderr); code != 0 || !strings.HasPrefix(stdout.String(), "ok: ") {
		t.Fatalf("exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
}

func TestVersionText(t *testing.T) {
	bi := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/spsmg/spsmg", Version: "v1.4.0"},
		Settings: []debug.BuildSetting{{Key: "GOOS", Value: "linux"}, {Key: "GOARCH", Value: "amd64"},
			{Key: "vcs.revision", Value: "3fad447c0ffee"}, {Key: "vcs.time", Value: "2026-11-28T08:13:00Z"}, {Key: "vcs.modified", Value: "true"}}}
	want := "spsmg v1.4.0\ncommit    3fad447c0ffee (modified)\ncommitted 2026-11-28T08:13:00Z\ngo        go1.26.8 linux/amd64\n"
	if got := versionText(bi, ""); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if got := versionText(bi, "1.4.0-rc1"); !strings.HasPrefix(got, "spsmg 1.4.0-rc1\n") {
		t.Errorf("-X main.version does not override: %s", got)
	}
	bi.Settings = bi.Settings[:2]
	bi.Main.Version = "(devel)"
	if got := versionText(bi, ""); !strings.Contains(got, "spsmg (devel)\ncommit    unknown (built without VCS information") {
		t.Errorf("without VCS settings: %s", got)
	}
}
