package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"slices"
	"strings"
	"testing"

	"github.com/spsmg/spsmg/codec/cmpp"
	"github.com/spsmg/spsmg/internal/cli"
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
		for _, args := range [][]string{{"-proto", "smpp"}, {"-nope"}, {"-mix-share", "120"}, {"-n", "0"}, {"-users", "2", "-user", "abc"}} {
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
		{[]string{"-proto", "smpp"}, 2, "", `spsim: -proto "smpp": want one of`},
		{[]string{"-n", "0"}, 2, "", "spsim: nothing to do"},
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
