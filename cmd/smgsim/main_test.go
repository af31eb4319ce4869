package main

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/internal/cli"
)

func TestParse(t *testing.T) {
	cfg, o, err := parse([]string{"-proto", "sgip", "-listen", "127.0.0.1:0", "-account", "a:1", "-account", "b:2",
		"-receiver", "127.0.0.1:8801", "-receiver-login", "smg", "-receiver-secret", "pw",
		"-delay", "5ms", "-report-delay", "1s", "-mo-rate", "10", "-mo-text", "hi"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Protocol != codec.SGIP || cfg.Addr != "127.0.0.1:0" || len(cfg.Accounts) != 2 || cfg.Accounts["b"] != "2" ||
		cfg.ReceiverAddr != "127.0.0.1:8801" || cfg.ReceiverLogin != "smg" || cfg.ReceiverPassword != "pw" ||
		cfg.Delay != 5*time.Millisecond || cfg.ReportDelay != time.Second || cfg.MORate != 10 ||
		cfg.MOTemplate.Text != "hi" || o.level != "info" {
		t.Fatalf("parsed %+v %+v", cfg, o)
	}

	cfg, o, err = parse([]string{"-control", "127.0.0.1:17891"}, io.Discard)
	if err != nil || o.control != "127.0.0.1:17891" || cfg.SubmitLog != controlSubmitLog {
		t.Fatalf("-control: %+v %+v, %v", cfg, o, err)
	}

	cfg, _, err = parse(nil, io.Discard)
	if err != nil || cfg.Protocol != codec.CMPP30 || cfg.Accounts["901234"] != "smg-secret" || cfg.SubmitLog != 0 {
		t.Fatalf("defaults %+v, %v", cfg, err)
	}
	cfg, _, err = parse([]string{"-proto", "smpp", "-linkid-tag", "0x1401"}, io.Discard)
	if err != nil || cfg.Protocol != codec.SMPP34 || cfg.Dialect == nil || cfg.Dialect.LinkIDWidth() != 20 {
		t.Fatalf("-proto smpp -linkid-tag 0x1401: %+v, %v", cfg, err)
	}
	for _, bad := range [][]string{{"-proto", "smpp5"}, {"-account", "nocolon"}, {"extra"}, {"-log-level", "loud"},
		{"-linkid-tag", "0x1401"}, {"-proto", "smpp", "-linkid-tag", "0x10000"}} {
		if _, _, err := parse(bad, io.Discard); err == nil {
			t.Errorf("parse(%q) accepted", bad)
		}
	}
}

// TestCommandLine: the convention of every spsmg binary (package
// internal/cli) — -h prints the usage on stdout and exits 0, a mistake
// names itself on stderr with the usage and exits 2.
func TestCommandLine(t *testing.T) {
	cases := []struct {
		args           []string
		code           int
		stdout, stderr string
	}{
		{[]string{"-h"}, 0, "usage: smgsim [flags]", ""},
		{[]string{"--help"}, 0, "-mo-rate float", ""},
		{[]string{"-lisen", "x"}, 2, "", "smgsim: flag provided but not defined: -lisen\n\nusage: smgsim [flags]"},
		{[]string{"-delay", "soon"}, 2, "", `smgsim: invalid value "soon" for flag -delay`},
		{[]string{"-listen"}, 2, "", "smgsim: flag needs an argument: -listen"},
		{[]string{"-proto", "smpp5"}, 2, "", `smgsim: -proto: unknown protocol "smpp5"`},
		{[]string{"-linkid-tag", "0x1401"}, 2, "", `smgsim: -linkid-tag: a LinkID TLV tag is an SMPP setting; cmpp3 has its own LinkID field`},
		{[]string{"-log-level", "loud"}, 2, "", `smgsim: -log-level "loud": want debug, info, warn or error`},
		{[]string{"extra"}, 2, "", `smgsim: unexpected argument "extra"`},
		{[]string{"-listen", "127.0.0.1:notaport"}, 1, "", "smgsim: "},
	}
	for _, c := range cases {
		var stdout, stderr bytes.Buffer
		code := cli.Exit("smgsim", run(c.args, &stdout), &stderr)
		if code != c.code || !strings.Contains(stdout.String(), c.stdout) || !strings.Contains(stderr.String(), c.stderr) ||
			(c.stdout == "" && stdout.Len() > 0) || (c.stderr == "" && stderr.Len() > 0) {
			t.Errorf("%q: exit %d (want %d)\nstdout: %s\nstderr: %s", c.args, code, c.code, stdout.String(), stderr.String())
		}
	}
}
