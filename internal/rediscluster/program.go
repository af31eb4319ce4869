package rediscluster

import (
	"errors"
	"fmt"
	"os"
	"sync"
)

// Program is a TB for a command (not a test) that starts a cluster:
// cmd/cluster, the benchmarks. Fatal inside Run ends that step with an
// error; Close runs the cleanups (stopping the cluster) in reverse order.
type Program struct {
	dir string
	mu  sync.Mutex
	fns []func()
}

// NewProgram keeps the nodes' directories under dir (a temporary directory,
// removed by Close, when dir is "").
func NewProgram(dir string) (*Program, error) {
	p := &Program{dir: dir}
	if dir == "" {
		d, err := os.MkdirTemp("", "spsmg-cluster-")
		if err != nil {
			return nil, err
		}
		p.dir = d
		p.Cleanup(func() { os.RemoveAll(d) })
	}
	return p, nil
}

// Dir is where the program keeps its files.
func (p *Program) Dir() string { return p.dir }

type programFatal struct{ msg string }

func (p *Program) Helper() {}

// TempDir returns a new directory under Dir.
func (p *Program) TempDir() string {
	d, err := os.MkdirTemp(p.dir, "node")
	if err != nil {
		p.Fatal(err)
	}
	return d
}

func (p *Program) Fatal(args ...any)            { panic(programFatal{fmt.Sprint(args...)}) }
func (p *Program) Fatalf(f string, args ...any) { panic(programFatal{fmt.Sprintf(f, args...)}) }
func (p *Program) Skip(args ...any)             { panic(programFatal{fmt.Sprint(args...)}) }

// Cleanup registers f to run at Close.
func (p *Program) Cleanup(f func()) {
	p.mu.Lock()
	p.fns = append(p.fns, f)
	p.mu.Unlock()
}

// Close runs the cleanups, the last registered first.
func (p *Program) Close() {
	p.mu.Lock()
	fns := p.fns
	p.fns = nil
	p.mu.Unlock()
	for i := len(fns) - 1; i >= 0; i-- {
		fns[i]()
	}
}

// Run runs f, turning a Fatal inside it into an error.
func (p *Program) Run(f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			pf, ok := r.(programFatal)
			if !ok {
				panic(r)
			}
			err = errors.New(pf.msg)
		}
	}()
	f()
	return nil
}

// Pids are the running redis-server processes, for the benchmarks' CPU
// accounting.
func (c *Cluster) Pids() []int {
	var out []int
	for _, nd := range c.live() {
		nd.mu.Lock()
		if nd.cmd != nil && nd.cmd.Process != nil {
			out = append(out, nd.cmd.Process.Pid)
		}
		nd.mu.Unlock()
	}
	return out
}
