// Package rig runs spsmg, the SMG simulator, the SP simulator and HAProxy
// as separate processes on loopback for the benchmark tools (cmd/compare,
// cmd/scale), and reads what each one costs from /proc: CPU seconds
// (utime+stime of every thread) and resident memory (VmRSS, VmHWM).
//
// Every child is started in its own process group with the parent-death
// signal set to SIGKILL, and Group.Close ends them all (SIGTERM, then
// SIGKILL after a grace period): a benchmark that fails or is interrupted
// leaves nothing running.
package rig

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// clockTicks is USER_HZ, the unit of utime/stime in /proc/PID/stat: 100 on
// every Linux architecture Go supports (sysconf(_SC_CLK_TCK)).
const clockTicks = 100

// Bins are the three binaries the tools run.
type Bins struct{ SPSMG, SMGSim, SPSim string }

// Build compiles cmd/spsmg, cmd/smgsim and cmd/spsim of the module at root
// into dir.
func Build(ctx context.Context, root, dir string) (Bins, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Bins{}, err
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return Bins{}, err
	}
	cmd := exec.CommandContext(ctx, "go", "build", "-o", abs+string(filepath.Separator), "./cmd/spsmg", "./cmd/smgsim", "./cmd/spsim")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return Bins{}, fmt.Errorf("go build: %v\n%s", err, out)
	}
	return Bins{SPSMG: filepath.Join(abs, "spsmg"), SMGSim: filepath.Join(abs, "smgsim"), SPSim: filepath.Join(abs, "spsim")}, nil
}

// ModuleRoot finds the directory holding go.mod, from the working
// directory up.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("rig: no go.mod above the working directory")
		}
		dir = parent
	}
}

// Proc is a child process.
type Proc struct {
	Name string
	cmd  *exec.Cmd
	log  *tail
	done chan struct{}
	err  error
}

// Group owns the children of one tool run.
type Group struct {
	mu    sync.Mutex
	procs []*Proc
}

// Start runs path with args. Its output (stdout and stderr) is kept, the
// last 64 KB, for Log.
func (g *Group) Start(name, path string, args ...string) (*Proc, error) {
	p := &Proc{Name: name, log: &tail{max: 64 << 10}, done: make(chan struct{})}
	p.cmd = exec.Command(path, args...)
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	g.mu.Lock()
	g.procs = append(g.procs, p)
	g.mu.Unlock()
	return p, nil
}

// Close stops every child still running: SIGTERM to its process group,
// SIGKILL after grace.
func (g *Group) Close(grace time.Duration) {
	g.mu.Lock()
	procs := g.procs
	g.procs = nil
	g.mu.Unlock()
	for _, p := range procs {
		p.Stop(grace)
	}
}

// Stop ends p: SIGTERM to its process group, SIGKILL after grace.
func (p *Proc) Stop(grace time.Duration) {
	select {
	case <-p.done:
		return
	default:
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(grace):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}

// Pid is the child's process id.
func (p *Proc) Pid() int { return p.cmd.Process.Pid }

// Done is closed when the child has exited.
func (p *Proc) Done() <-chan struct{} { return p.done }

// Err is the child's exit error, once Done.
func (p *Proc) Err() error { return p.err }

// Log is the tail of the child's output.
func (p *Proc) Log() string { return p.log.String() }

// Usage is the CPU time of an exited child and its peak RSS (wait4's
// rusage: every thread, the whole life).
func (p *Proc) Usage() (cpu time.Duration, maxRSS int64) {
	st := p.cmd.ProcessState
	if st == nil {
		return 0, 0
	}
	ru, ok := st.SysUsage().(*syscall.Rusage)
	if !ok {
		return st.UserTime() + st.SystemTime(), 0
	}
	return st.UserTime() + st.SystemTime(), ru.Maxrss << 10
}

// CPU is the CPU time the running child has used so far, all threads
// (/proc/PID/stat utime+stime, 10 ms resolution).
func (p *Proc) CPU() (time.Duration, error) { return CPUOf(p.Pid()) }

// CPUOf reads the CPU time of process pid.
func CPUOf(pid int) (time.Duration, error) { return statCPU(fmt.Sprintf("/proc/%d/stat", pid)) }

// statCPU reads utime+stime from a /proc stat file (a process's or a
// thread's).
func statCPU(path string) (time.Duration, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces: count fields after ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, errors.New("rig: unreadable /proc stat")
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, errors.New("rig: short /proc stat")
	}
	// f[0] is field 3 (state): utime is field 14, stime 15.
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, errors.New("rig: bad utime/stime")
	}
	return time.Duration(ut+st) * time.Second / clockTicks, nil
}

// Memory is a process's resident set now and its peak (since start or
// the last ResetPeak), in bytes.
type Memory struct{ RSS, Peak int64 }

// Mem reads /proc/PID/status VmRSS and VmHWM.
func (p *Proc) Mem() (Memory, error) { return MemOf(p.Pid()) }

// MemOf reads the memory of process pid.
func MemOf(pid int) (Memory, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return Memory{}, err
	}
	defer f.Close()
	var m Memory
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		var dst *int64
		switch k {
		case "VmRSS":
			dst = &m.RSS
		case "VmHWM":
			dst = &m.Peak
		default:
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		if err != nil {
			return m, fmt.Errorf("rig: /proc status %s: %w", k, err)
		}
		*dst = kb << 10
	}
	return m, sc.Err()
}

// ResetPeak sets the child's peak RSS back to its current RSS (writing 5
// to /proc/PID/clear_refs, Linux ≥ 4.0), so that a phase's peak is its
// own. It fails silently where that is not allowed: the peak then spans
// the process's life, which Peak's users note.
func (p *Proc) ResetPeak() error { return ResetPeakOf(p.Pid()) }

// ResetPeakOf resets the peak RSS of process pid.
func ResetPeakOf(pid int) error {
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0)
}

// WaitTCP polls addr until it accepts a connection, p exits, or timeout.
func WaitTCP(p *Proc, addr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case <-p.Done():
			return fmt.Errorf("%s exited before listening on %s: %v\n%s", p.Name, addr, p.Err(), p.Log())
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: nothing listens on %s after %v\n%s", p.Name, addr, timeout, p.Log())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// FreeAddr returns a loopback address with a port free at the time. The
// port is released before the caller's process binds it, so another
// process can take it in between: only the tools that run HAProxy and the
// simulators as separate processes, which cannot say where they listen,
// use it. In-process worlds listen on port 0 and read the address back.
func FreeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// tail keeps the last max bytes written to it.
type tail struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.max {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-t.max:]...)
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

var _ io.Writer = (*tail)(nil)

// LoadAvg is the first field of /proc/loadavg (1-minute load average), or
// -1 when unreadable.
func LoadAvg() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return -1
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return -1
	}
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return -1
	}
	return v
}

// Machine describes the host for result files: CPUs, CPU model, kernel.
func Machine() string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	kernel := "unknown kernel"
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		kernel = strings.TrimSpace(string(b))
	}
	return fmt.Sprintf("%d CPUs, %s, Linux %s", runtime.NumCPU(), model, kernel)
}

// Sched is what the scheduler accounted to a thread (/proc/PID/task/TID/
// schedstat, ns): time on a CPU, and time runnable but waiting for one.
// A large Wait beside CPU means the machine, not the program, set the pace.
type Sched struct{ CPU, Wait time.Duration }

// ThreadSched reads Sched for every thread of process pid, by thread id.
func ThreadSched(pid int) (map[int]Sched, error) {
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return nil, err
	}
	out := make(map[int]Sched, len(ents))
	for _, e := range ents {
		tid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/schedstat", pid, tid))
		if err != nil {
			continue // the thread exited meanwhile
		}
		f := strings.Fields(string(b))
		if len(f) < 2 {
			continue
		}
		cpu, err1 := strconv.ParseInt(f[0], 10, 64)
		wait, err2 := strconv.ParseInt(f[1], 10, 64)
		if err1 != nil || err2 != nil {
			continue
		}
		out[tid] = Sched{CPU: time.Duration(cpu), Wait: time.Duration(wait)}
	}
	return out, nil
}

// SchedDelta is a process's threads between two ThreadSched readings: the
// busiest threads' CPU as fractions of wall (largest first, at most n),
// and the run-queue wait of all threads together as a fraction of wall.
func SchedDelta(before, after map[int]Sched, wall time.Duration, n int) (busiest []float64, wait float64) {
	var w time.Duration
	for tid, a := range after {
		b := before[tid]
		if d := a.CPU - b.CPU; d > 0 {
			busiest = append(busiest, d.Seconds()/wall.Seconds())
		}
		w += a.Wait - b.Wait
	}
	sort.Sort(sort.Reverse(sort.Float64Slice(busiest)))
	if len(busiest) > n {
		busiest = busiest[:n]
	}
	return busiest, w.Seconds() / wall.Seconds()
}
