package main

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/cmpp"
	"github.com/spsmg/spsmg/internal/cli"
	"github.com/spsmg/spsmg/internal/syncbuf"
	"github.com/spsmg/spsmg/sim/smg"
	"github.com/spsmg/spsmg/sim/sp"
)

// cmppServer answers logins (secret "888888"), Submits (result 106 for
// 13900000000) and Terminate, on a random port.
func cmppServer(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go serveCMPP(c)
		}
	}()
	return l.Addr().String()
}

func serveCMPP(c net.Conn) {
	defer c.Close()
	fr := cmpp.NewFramer(0)
	var buf []byte
	tmp := make([]byte, 64<<10)
	for {
		n, err := fr.Split(buf)
		if err != nil {
			return
		}
		if n == 0 {
			m, err := c.Read(tmp)
			if err != nil {
				return
			}
			buf = append(buf, tmp[:m]...)
			continue
		}
		frame := buf[:n]
		var out []byte
		_, p, err := cmpp.Decode(frame, cmpp.V30)
		if err != nil {
			return
		}
		seq := cmpp.SequenceOf(frame)
		switch p := p.(type) {
		case *cmpp.Connect:
			status := cmpp.ConnectOK
			if !cmpp.VerifyAuthenticatorSource(p, "888888") {
				status = cmpp.ConnectAuthFailed
			}
			out = cmpp.Append(nil, cmpp.V30, seq, cmpp.NewConnectResp(p, status, "888888", cmpp.V30))
		case *cmpp.Submit:
			result := cmpp.ResultOK
			if slices.Contains(p.DestTerminalID, "13900000000") {
				result = 106
			}
			out = cmpp.AppendSubmitResp(nil, cmpp.V30, seq, uint64(seq), result)
		case *cmpp.Terminate:
			out = cmpp.AppendTerminateResp(nil, seq)
		}
		buf = buf[n:]
		if _, err := c.Write(out); err != nil {
			return
		}
	}
}

func TestRun(t *testing.T) {
	addr := cmppServer(t)
	t.Run("prints the report", func(t *testing.T) {
		var out, errOut bytes.Buffer
		err := run(context.Background(), []string{"-addr", addr, "-n", "1000", "-conns", "2", "-users", "10",
			"-mix-user", "13900000000", "-mix-share", "50"}, &out, &errOut)
		if err != nil {
			t.Fatalf("run: %v\n%s", err, errOut.String())
		}
		t.Log("\n" + out.String())
		for _, want := range []string{"sent", "1000", "result 0", "result 106", "template mix-user", "p99"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("output lacks %q:\n%s", want, out.String())
			}
		}
	})
	t.Run("a refused login is an error", func(t *testing.T) {
		var out, errOut bytes.Buffer
		err := run(context.Background(), []string{"-addr", addr, "-secret", "bad", "-n", "10"}, &out, &errOut)
		var le *sp.LoginError
		if !errors.As(err, &le) || le.Status != 3 {
			t.Errorf("err = %v, want LoginError 3", err)
		}
	})
	t.Run("bad flags are a usage error", func(t *testing.T) {
		var out, errOut bytes.Buffer
		for _, args := range [][]string{{"-proto", "smpp5"}, {"-nope"}, {"-linkid-tag", "0x1401"}, {"-mix-share", "120"}, {"-proto", "sgip", "-n", "0"},
			{"-proto", "sgip", "-replies", "1"}, {"-replies", "-1"}, {"-replies", "1", "-wait", "0s"}} {
			if err := run(context.Background(), args, &out, &errOut); !errors.As(err, new(*cli.UsageError)) {
				t.Errorf("%v: err = %v, want a usage error", args, err)
			}
		}
	})
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
		{[]string{"-h"}, 0, "usage: spsim [flags]", ""},
		{[]string{"--help"}, 0, "-window int", ""},
		{[]string{"-conn", "4"}, 2, "", "spsim: flag provided but not defined: -conn\n\nusage: spsim [flags]"},
		{[]string{"-rate", "fast"}, 2, "", `spsim: invalid value "fast" for flag -rate`},
		{[]string{"-addr"}, 2, "", "spsim: flag needs an argument: -addr"},
		{[]string{"-proto", "smpp5"}, 2, "", `spsim: -proto "smpp5": want one of`},
		{[]string{"-proto", "smpp", "-linkid-tag", "70000"}, 2, "", `spsim: -linkid-tag 0x11170: a TLV tag is 2 bytes`},
		{[]string{"-proto", "sgip", "-n", "0"}, 2, "", "spsim: SGIP MO and reports arrive on connections the gateway makes: give -receiver"},
		{[]string{"extra"}, 2, "", `spsim: unexpected argument "extra"`},
	}
	for _, c := range cases {
		var stdout, stderr bytes.Buffer
		code := cli.Exit("spsim", run(context.Background(), c.args, &stdout, &stderr), &stderr)
		if code != c.code || !strings.Contains(stdout.String(), c.stdout) || !strings.Contains(stderr.String(), c.stderr) ||
			(c.stdout == "" && stdout.Len() > 0) || (c.stderr == "" && stderr.Len() > 0) {
			t.Errorf("%q: exit %d (want %d)\nstdout: %s\nstderr: %s", c.args, code, c.code, stdout.String(), stderr.String())
		}
	}
}

func TestSpreadUsers(t *testing.T) {
	got, err := spreadUsers("13800138998", 3)
	if err != nil || !slices.Equal(got, []string{"13800138998", "13800138999", "13800139000"}) {
		t.Errorf("spreadUsers = %v, %v", got, err)
	}
	if got, _ := spreadUsers("0099", 2); !slices.Equal(got, []string{"0099", "0100"}) {
		t.Errorf("keeps the width: %v", got)
	}
	if _, err := spreadUsers("abc", 2); err == nil {
		t.Error("non-numeric user accepted")
	}
}

// smgFor starts a simulated SMG that takes spsim's default login directly,
// as a gateway would.
func smgFor(t *testing.T) *smg.Server {
	t.Helper()
	s, err := smg.Start(smg.Config{Protocol: codec.CMPP30, Accounts: map[string]string{"900001": "888888"},
		SubmitLog: 16, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// -n 0 without -duration sends nothing and prints the MO and reports that
// arrive, on CMPP and SMGP too (it used to refuse: "nothing to do").
func TestReceiveOnly(t *testing.T) {
	s := smgFor(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut syncbuf.Buffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"-proto", "cmpp3", "-addr", s.Addr(), "-n", "0"}, &out, &errOut) }()
	waitFor(t, "the login", func() bool {
		select {
		case err := <-done:
			t.Fatalf("run returned before anything arrived: %v", err)
		default:
		}
		return s.Stats().LoggedIn == 1
	})
	if err := s.InjectMO(smg.MO{User: "13800138000", SPNumber: "10655123", Text: "HELP", LinkID: "LNK00001"}); err != nil {
		t.Fatal(err)
	}
	want := `mo user=13800138000 sp=10655123 linkid="LNK00001" text="HELP"`
	waitFor(t, "the MO printed", func() bool { return strings.Contains(out.String(), want) })
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v\n%s", err, errOut.String())
	}
	if n := s.Stats().Submits; n != 0 {
		t.Fatalf("-n 0 sent %d Submits", n)
	}
}

// -replies answers each MO with one MT to its sender, from its access
// number, with its LinkID, and prints both.
func TestReplies(t *testing.T) {
	s := smgFor(t)
	for i, link := range []string{"LNK00001", "LNK00002"} {
		if err := s.InjectMO(smg.MO{User: "1380013800" + strconv.Itoa(i), SPNumber: "106551231", Text: "HELP", LinkID: link}); err != nil {
			t.Fatal(err)
		}
	}
	var out, errOut syncbuf.Buffer
	err := run(context.Background(), []string{"-addr", s.Addr(), "-replies", "2", "-service", "DZTZ", "-text", "subscribed"}, &out, &errOut)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, errOut.String())
	}
	subs := s.Submits()
	if len(subs) != 2 {
		t.Fatalf("%d Submits, want 2:\n%s", len(subs), out.String())
	}
	for i, si := range subs {
		user, link := "1380013800"+strconv.Itoa(i), "LNK0000"+strconv.Itoa(i+1)
		if si.LinkID != link || si.SPNumber != "106551231" || si.ServiceCode != "DZTZ" || si.Text != "subscribed" ||
			len(si.Recipients) != 1 || si.Recipients[0] != user {
			t.Errorf("Submit %d: %+v", i, si)
		}
		for _, want := range []string{`mo user=` + user + ` sp=106551231 linkid="` + link + `"`,
			`mt user=` + user + ` sp=106551231 service=DZTZ linkid="` + link + `" result=0`} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("output lacks %s:\n%s", want, out.String())
			}
		}
	}

	// Nothing arrives: -wait bounds the wait.
	err = run(context.Background(), []string{"-addr", s.Addr(), "-replies", "1", "-wait", "50ms"}, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "0 of 1 MO answered") {
		t.Fatalf("run without MO: %v", err)
	}
}
