package rig

import (
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Load is one run of the SP simulator (cmd/spsim).
type Load struct {
	Proto         string
	Addr          string
	Login, Secret string
	Conns, Window int
	Rate          float64       // Submits/s over all connections; 0: as fast as the windows allow
	Duration      time.Duration // sending time
	Service       string
	User          string // first recipient; Users numbers counting up from it
	Users         int
	MixUser       string // a second recipient for MixShare percent (e.g. unsubscribed)
	MixShare      int
}

// LoadResult is what spsim printed, parsed, and what it cost.
type LoadResult struct {
	Sent, Answered uint64
	Results        map[uint32]uint64 // Submit_Resp by result code
	Errors         uint64
	MsgsPerSec     float64
	P50, P90, P99  time.Duration
	P999, Max      time.Duration
	Output         string        // spsim's report table
	CPU            time.Duration // spsim's own, whole life
	MaxRSS         int64
}

// BenchLoad is the tools' workload: the benchmark SP sends to users
// subscribed users (FirstUser counting up) for d.
func BenchLoad(proto, addr string, conns, window, users int, d time.Duration) Load {
	login, secret := SPAccount(proto)
	return Load{Proto: proto, Addr: addr, Login: login, Secret: secret, Conns: conns, Window: window,
		Duration: d, Service: Service, User: FirstUser(proto), Users: users}
}

// OK is the share of responses with result 0.
func (r *LoadResult) OK() float64 {
	if r.Answered == 0 {
		return 0
	}
	return float64(r.Results[0]) / float64(r.Answered)
}

// Args are spsim's flags for l.
func (l Load) Args() []string {
	a := []string{"-proto", l.Proto, "-addr", l.Addr, "-login", l.Login, "-secret", l.Secret,
		"-conns", strconv.Itoa(l.Conns), "-window", strconv.Itoa(l.Window),
		"-duration", l.Duration.String(), "-service", l.Service, "-user", l.User,
		"-users", strconv.Itoa(max(l.Users, 1))}
	if l.Rate > 0 {
		a = append(a, "-rate", strconv.FormatFloat(l.Rate, 'f', 0, 64))
	}
	if l.MixUser != "" {
		a = append(a, "-mix-user", l.MixUser, "-mix-share", strconv.Itoa(l.MixShare))
	}
	return a
}

// RunLoad runs spsim to the end of l.Duration (killed after twice that
// plus a minute, or when ctx ends) and parses its report.
func RunLoad(ctx context.Context, spsim string, l Load) (LoadResult, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*l.Duration+time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, spsim, l.Args()...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	var out, errOut tail
	out.max, errOut.max = 1<<20, 64<<10
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	res := LoadResult{Output: out.String()}
	if st := cmd.ProcessState; st != nil {
		res.CPU = st.UserTime() + st.SystemTime()
		if ru, ok := st.SysUsage().(*syscall.Rusage); ok {
			res.MaxRSS = ru.Maxrss << 10
		}
	}
	if err != nil {
		return res, fmt.Errorf("spsim %s: %v\n%s%s", strings.Join(l.Args(), " "), err, res.Output, errOut.String())
	}
	if err := parseReport(res.Output, &res); err != nil {
		return res, fmt.Errorf("spsim report: %v\n%s", err, res.Output)
	}
	return res, nil
}

var (
	reSent      = regexp.MustCompile(`(?m)^sent\s+(\d+)`)
	reResponses = regexp.MustCompile(`(?m)^responses\s+(\d+)\s+([\d.]+) msg/s`)
	reResult    = regexp.MustCompile(`(?m)^  result (\d+)\s+(\d+)`)
	reErrors    = regexp.MustCompile(`(?m)^errors\s+(\d+)`)
	reLatency   = regexp.MustCompile(`(?m)^latency\s+p50 (\S+)\s+p90 (\S+), p99 (\S+), p99\.9 (\S+), max (\S+),`)
)

// parseReport reads sp.Report.String's table (see sim/sp/report.go).
func parseReport(s string, r *LoadResult) error {
	m := reSent.FindStringSubmatch(s)
	if m == nil {
		return fmt.Errorf("no sent line")
	}
	r.Sent, _ = strconv.ParseUint(m[1], 10, 64)
	if m = reResponses.FindStringSubmatch(s); m == nil {
		return fmt.Errorf("no responses line")
	}
	r.Answered, _ = strconv.ParseUint(m[1], 10, 64)
	r.MsgsPerSec, _ = strconv.ParseFloat(m[2], 64)
	r.Results = make(map[uint32]uint64)
	for _, m := range reResult.FindAllStringSubmatch(s, -1) {
		code, _ := strconv.ParseUint(m[1], 10, 32)
		n, _ := strconv.ParseUint(m[2], 10, 64)
		r.Results[uint32(code)] += n
	}
	if m = reErrors.FindStringSubmatch(s); m != nil {
		r.Errors, _ = strconv.ParseUint(m[1], 10, 64)
	}
	if m = reLatency.FindStringSubmatch(s); m == nil {
		return fmt.Errorf("no latency line")
	}
	for i, dst := range []*time.Duration{&r.P50, &r.P90, &r.P99, &r.P999, &r.Max} {
		d, err := time.ParseDuration(m[i+1])
		if err != nil {
			return fmt.Errorf("latency %q: %w", m[i+1], err)
		}
		*dst = d
	}
	return nil
}
