package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/spsmg/spsmg/authcache"
	"github.com/spsmg/spsmg/internal/cli"
	"github.com/spsmg/spsmg/internal/syncbuf"
)

// goBuild builds the repository's commands into a directory of t.
func goBuild(t *testing.T, pkgs ...string) string {
	t.Helper()
	dir := t.TempDir()
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goTool); err != nil {
		goTool = "go"
	}
	// -pgo=off: see testenv.BuildSpsmg (the same reason).
	cmd := exec.Command(goTool, append([]string{"build", "-pgo=off", "-o", dir + string(filepath.Separator)}, pkgs...)...)
	cmd.Dir = "../.."
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %v: %v\n%s", pkgs, err, out)
	}
	return dir
}

// startDemo runs `spsmg demo` in this process on free ports and returns
// what it printed once the walk-through is out, and a stop function that
// returns the logs.
func startDemo(t *testing.T) (printed string, stop func() string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncbuf.Buffer
	done := make(chan error, 1)
	go func() {
		done <- runDemo(ctx, []string{"--data", filepath.Join(t.TempDir(), "data"), "--listen", "127.0.0.1:0", "--json", "127.0.0.1:0",
			"--http", "127.0.0.1:0", "--smg", "127.0.0.1:0", "--control", "127.0.0.1:0"}, &stdout, &stderr)
	}()
	stopped := false
	stop = func() string {
		if !stopped {
			stopped = true
			cancel()
			if err := <-done; err != nil {
				t.Errorf("runDemo: %v", err)
			}
		}
		return stderr.String()
	}
	t.Cleanup(func() { stop() })
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(stdout.String(), "spsmg_mt_decisions_total") {
		select {
		case err := <-done:
			stopped = true
			t.Fatalf("demo ended before printing its walk-through: %v\n%s", err, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no walk-through within 30 s:\n%s\n%s", stdout.String(), stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	return stdout.String(), stop
}

// TestDemoWalkthrough runs the walk-through `spsmg demo` prints, as printed,
// with sh against the demo in this process ("go run ./cmd/X" stands for a
// binary built once), and checks that every flow got through: the metrics
// line it ends with must show one MT allowed for each way of passing.
func TestDemoWalkthrough(t *testing.T) {
	for _, tool := range []string{"sh", "curl", "tr", "grep"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("the walk-through needs %s (apt-get install -y curl): %v", tool, err)
		}
	}
	bin := goBuild(t, "./cmd/spsim", "./cmd/spsmg")
	printed, stop := startDemo(t)
	_, script, ok := strings.Cut(printed, walkthroughHeading+"\n")
	if !ok {
		t.Fatalf("no walk-through heading in:\n%s", printed)
	}
	for _, c := range []string{"spsim", "spsmg"} {
		if !strings.Contains(script, "go run ./cmd/"+c+" ") {
			t.Fatalf("the walk-through does not use %s:\n%s", c, script)
		}
		script = strings.ReplaceAll(script, "go run ./cmd/"+c+" ", filepath.Join(bin, c)+" ")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "-e", "-c", script)
	cmd.Dir = "../.."
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("the walk-through failed: %v\n--- script\n%s\n--- stdout\n%s\n--- stderr\n%s\n--- demo\n%s",
			err, script, out.String(), errOut.String(), stop())
	}
	got := out.String()
	for _, reason := range []string{"mo_linkid", "web_linkid", "subscription_notice", "subscription"} {
		want := `spsmg_mt_decisions_total{reason="` + reason + `",result="allow",sp="demo-sp"} 1` + "\n"
		if !strings.Contains(got, want) {
			t.Errorf("the walk-through did not pass one MT as %s:\n%s", reason, got)
		}
	}
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`mo user=13800138000 sp=10655123 linkid="\w{8}" text="HELP"`),
		regexp.MustCompile(`mt user=13800138000 sp=10655123 service=HELP linkid="\w{8}" result=0`),
		regexp.MustCompile(`"text": "Your confirmation code is \d{6}"`),
		regexp.MustCompile(`"from": "10655000\d{6}",`),
		regexp.MustCompile(`mt user=13800138000 sp=10655123 service=DZTZ linkid="\w{8}" result=0`),
		regexp.MustCompile(`"service_code":"NEWS","state":"active","source":"web"`),
	} {
		if !want.MatchString(got) {
			t.Errorf("the walk-through's output lacks %s:\n%s", want, got)
		}
	}
	if strings.Contains(got, "result 1") || strings.Contains(got, "result 10") {
		t.Errorf("an MT was refused:\n%s", got)
	}

	logs := stop()
	if !regexp.MustCompile(`msg="spsmg stopped" reason="stopped by its caller" uptime=\d`).MatchString(logs) {
		t.Errorf("no stopped line at exit:\n%s", logs)
	}
}

func TestDemoFlags(t *testing.T) {
	o, err := parseDemo([]string{"--listen", "127.0.0.1:7990", "--http", "127.0.0.1:8090", "--smg", "127.0.0.1:17990", "--control", "127.0.0.1:17991"}, io.Discard)
	if err != nil || o.listen != "127.0.0.1:7990" || o.http != "127.0.0.1:8090" || o.smg != "127.0.0.1:17990" || o.control != "127.0.0.1:17991" || o.data != "data" {
		t.Fatalf("%+v, %v", o, err)
	}
	if o, _ := parseDemo(nil, io.Discard); o.control != demoControlAddr || o.listen != "" {
		t.Fatalf("defaults %+v", o)
	}
	for _, bad := range [][]string{{"--nope"}, {"extra"}, {"--mo-rate", "x"}} {
		if _, err := parseDemo(bad, io.Discard); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	// A port in use is reported with the flag that chose it.
	printed, _ := startDemo(t)
	sp := regexp.MustCompile(`-addr (127\.0\.0\.1:\d+)`).FindStringSubmatch(printed)
	if sp == nil {
		t.Fatalf("no SP address in the walk-through:\n%s", printed)
	}
	err = runDemo(context.Background(), []string{"--data", t.TempDir(), "--smg", sp[1]}, &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "--smg") {
		t.Fatalf("--smg on a port in use: %v", err)
	}
}

// make reset: the store goes, unless a process has it open.
func TestDemoReset(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	var out bytes.Buffer
	if err := resetStore(dir, &out); err != nil || !strings.Contains(out.String(), "nothing to reset") {
		t.Fatalf("missing directory: %v %q", err, out.String())
	}
	st, err := authcache.OpenBadger(dir, authcache.BadgerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := resetStore(dir, &out); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("open store: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "MANIFEST")); err != nil {
		t.Fatalf("the open store was touched: %v", err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if err := resetStore(dir, &out); err != nil {
		t.Fatalf("closed store: %v", err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("%s still there: %v", dir, err)
	}
	other := t.TempDir()
	if err := os.WriteFile(filepath.Join(other, "notes.txt"), []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := resetStore(other, &out); err == nil || !strings.Contains(err.Error(), "does not look like") {
		t.Fatalf("a directory that is not a store: %v", err)
	}
}

func TestAPICommandUsage(t *testing.T) {
	for _, args := range [][]string{{"api"}, {"api", "GET"}, {"api", "GET", "v1/x"}, {"api", "--url", "ftp://x", "GET", "/v1/x"},
		{"api", "POST", "/v1/ondemand", "{}", "extra"}} {
		var u *cli.UsageError
		if err := run(args, nil, &bytes.Buffer{}); !errors.As(err, &u) {
			t.Errorf("%q: %v, want a usage error", args, err)
		}
	}
	if key, secret, base := demoAPIDefaults(); key != "demo-app" || secret != "demo-app-secret" || base != "http://127.0.0.1:8080" {
		t.Errorf("demo defaults %q %q %q", key, secret, base)
	}
}
