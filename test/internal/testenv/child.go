package testenv

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// BuildSpsmg builds cmd/spsmg into a directory of t and returns the
// binary's path. With SPSMG_CHILD_RACE=1 the binary has the race detector.
func BuildSpsmg(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "spsmg")
	// -pgo=off: the tests check behaviour, and a build with the profile
	// (cmd/spsmg/default.pgo) recompiles every dependency once more.
	args := []string{"build", "-pgo=off", "-o", bin}
	if os.Getenv("SPSMG_CHILD_RACE") == "1" {
		args = append(args, "-race")
	}
	args = append(args, "github.com/spsmg/spsmg/cmd/spsmg")
	cmd := exec.Command(goTool(), args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go build cmd/spsmg: %v\n%s", err, out)
	}
	return bin
}

func goTool() string {
	p := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(p); err == nil {
		return p
	}
	return "go"
}

// Child is `spsmg serve --config FILE` as a real process: it can be
// killed with SIGKILL and started again on the same data directory. Its
// stderr (the logs) accumulates over every start in Logs and in a file.
type Child struct {
	t      testing.TB
	Bin    string
	Config string
	// HTTPAddr is where it serves /metrics and /readyz, as its log says
	// once it listens (its configuration may ask for port 0).
	HTTPAddr string
	LogPath  string
	// NoFile, when set, is the child's RLIMIT_NOFILE (soft and hard).
	NoFile int
	// serving, when set, is told the addresses of each start as soon as
	// its log line says where it accepts (before it is ready).
	serving func(accepting []string, httpAddr string)

	mu     sync.Mutex
	cmd    *exec.Cmd
	done   chan struct{}
	starts int
}

// StartChild writes the configuration (mode 0600, in a directory of the
// test, with the store there unless Options.DataDir says otherwise) and
// starts the gateway as a child process; it waits until /readyz answers.
func (w *World) StartChild(bin string) *Child {
	w.T.Helper()
	if w.Child == nil {
		dir := w.T.TempDir()
		if w.Opts.DataDir == "" && w.Opts.Store["backend"] != "redis" {
			w.Opts.DataDir = filepath.Join(dir, "data")
			w.YAML = w.render()
		}
		c := &Child{t: w.T, Bin: bin, Config: w.WriteConfig(dir, 0o600),
			LogPath: filepath.Join(dir, "spsmg.log"), NoFile: w.Opts.ChildNoFile}
		c.serving = func(accepting []string, httpAddr string) {
			inbound := ""
			if w.D.SplitConnections() && len(accepting) > 1 {
				inbound = accepting[1]
			}
			first := w.SPAddr == ""
			w.learned(accepting[0], inbound, httpAddr)
			if first { // from now on the file names the ports: a restart keeps them
				if err := os.WriteFile(c.Config, []byte(w.YAML), 0o600); err != nil {
					w.T.Fatal(err)
				}
			}
		}
		w.Child = c
		w.T.Cleanup(c.Stop)
	}
	w.Child.Start()
	return w.Child
}

// Start starts the process, learns its addresses from its log, and waits
// until /readyz answers 200 (the store is open and an upstream bind is
// logged in).
func (c *Child) Start() {
	c.t.Helper()
	f, err := os.OpenFile(c.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		c.t.Fatal(err)
	}
	cmd := exec.Command(c.Bin, "serve", "--config", c.Config)
	if c.NoFile > 0 {
		// Lower both limits for the child only (dash's ulimit sets both;
		// the Go runtime raises the soft limit to the hard one at start).
		cmd = exec.Command("/bin/sh", "-c", fmt.Sprintf(`ulimit -n %d && exec "$0" "$@"`, c.NoFile),
			c.Bin, "serve", "--config", c.Config)
	}
	cmd.Stdout, cmd.Stderr = f, f
	cmd.Env = append(os.Environ(), "GOTRACEBACK=all")
	if err := cmd.Start(); err != nil {
		f.Close()
		c.t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		f.Close()
		close(done)
	}()
	c.mu.Lock()
	c.cmd, c.done = cmd, done
	c.starts++
	c.mu.Unlock()
	deadline := time.Now().Add(Wait)
	var accepting []string
	for {
		select {
		case <-done:
			c.t.Fatalf("spsmg exited during start: %v\n%s", cmd.ProcessState, c.Logs())
		default:
		}
		var httpAddr string
		if accepting, httpAddr = servingAddrs(c.Logs(), c.starts); accepting != nil {
			c.HTTPAddr = httpAddr
			break
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("spsmg did not say where it listens after %v\n%s", Wait, c.Logs())
		}
		time.Sleep(20 * time.Millisecond) // the poll's resolution
	}
	if c.serving != nil {
		c.serving(accepting, c.HTTPAddr)
	}
	client := http.Client{Timeout: time.Second}
	for {
		select {
		case <-done:
			c.t.Fatalf("spsmg exited during start: %v\n%s", cmd.ProcessState, c.Logs())
		default:
		}
		resp, err := client.Get("http://" + c.HTTPAddr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("spsmg not ready after %v (last: %v)\n%s", Wait, err, c.Logs())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// servingAddrs reads the addresses from the nth "spsmg serving" line of
// logs (one per start): where it accepts (SP listeners, then SGIP's
// inbound one) and its HTTP address; nil before that line is written.
func servingAddrs(logs string, nth int) (accepting []string, httpAddr string) {
	seen := 0
	logs = logs[:strings.LastIndexByte(logs, '\n')+1] // whole lines only
	for _, line := range strings.Split(logs, "\n") {
		if !strings.Contains(line, `msg="spsmg serving"`) {
			continue
		}
		if seen++; seen < nth {
			continue
		}
		acc, ok1 := logField(line, "accepting")
		h, ok2 := logField(line, "http")
		if !ok1 || !ok2 || acc == "" {
			return nil, ""
		}
		return strings.Split(acc, ","), h
	}
	return nil, ""
}

// logField is the value of key in a text-format log line (unquoted values:
// addresses).
func logField(line, key string) (string, bool) {
	for _, f := range strings.Fields(line) {
		if v, ok := strings.CutPrefix(f, key+"="); ok {
			return v, true
		}
	}
	return "", false
}

// Reload writes yaml over the child's configuration file and sends SIGHUP
// (spsmg serve re-reads the file); the caller polls for the effect.
func (c *Child) Reload(yaml string) {
	c.t.Helper()
	if err := os.WriteFile(c.Config, []byte(yaml), 0o600); err != nil {
		c.t.Fatal(err)
	}
	c.mu.Lock()
	cmd := c.cmd
	c.mu.Unlock()
	if cmd == nil || cmd.Process.Signal(syscall.SIGHUP) != nil {
		c.t.Fatal("spsmg is not running: cannot reload")
	}
}

// Kill sends SIGKILL and waits until the process is gone.
func (c *Child) Kill() {
	c.signal(syscall.SIGKILL)
}

// Stop ends the process with SIGTERM (graceful), then SIGKILL after Wait.
func (c *Child) Stop() {
	c.signal(syscall.SIGTERM)
}

func (c *Child) signal(sig syscall.Signal) {
	c.mu.Lock()
	cmd, done := c.cmd, c.done
	c.mu.Unlock()
	if cmd == nil {
		return
	}
	select {
	case <-done:
		return
	default:
	}
	_ = cmd.Process.Signal(sig)
	select {
	case <-done:
	case <-time.After(Wait):
		_ = cmd.Process.Kill()
		<-done
	}
}

// Running reports whether the process is alive.
func (c *Child) Running() bool {
	c.mu.Lock()
	done := c.done
	c.mu.Unlock()
	if done == nil {
		return false
	}
	select {
	case <-done:
		return false
	default:
		return true
	}
}

// Pid is the current process id (0 before Start).
func (c *Child) Pid() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cmd == nil || c.cmd.Process == nil {
		return 0
	}
	return c.cmd.Process.Pid
}

// Logs returns everything the process wrote, over every start.
func (c *Child) Logs() string {
	b, _ := os.ReadFile(c.LogPath)
	return string(b)
}

// RSS is the child's resident set size in bytes (from /proc).
func (c *Child) RSS() (uint64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", c.Pid()))
	if err != nil {
		return 0, err
	}
	for _, line := range bytes.Split(b, []byte("\n")) {
		if s := string(line); strings.HasPrefix(s, "VmRSS:") {
			var kb uint64
			if _, err := fmt.Sscanf(strings.TrimPrefix(s, "VmRSS:"), "%d", &kb); err != nil {
				return 0, err
			}
			return kb << 10, nil
		}
	}
	return 0, fmt.Errorf("no VmRSS for pid %d", c.Pid())
}
