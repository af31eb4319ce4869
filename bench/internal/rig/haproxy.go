package rig

import (
	"fmt"
	"io"
	"os"
	"os/exec"
)

// EnsureHAProxy returns the haproxy binary, installing Debian's package
// (apt-get update, apt-get install -y haproxy) when it is missing and
// install is set. apt-get needs root.
func EnsureHAProxy(install bool, log io.Writer) (string, error) {
	if p, err := exec.LookPath("haproxy"); err == nil {
		return p, nil
	}
	if !install {
		return "", fmt.Errorf("rig: haproxy not found (apt-get install -y haproxy)")
	}
	if os.Geteuid() != 0 {
		return "", fmt.Errorf("rig: haproxy not found and not root: run apt-get install -y haproxy")
	}
	for _, args := range [][]string{{"update"}, {"install", "-y", "haproxy"}} {
		fmt.Fprintf(log, "# apt-get %v\n", args)
		cmd := exec.Command("apt-get", args...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		cmd.Stdout, cmd.Stderr = log, log
		if err := cmd.Run(); err != nil {
			return "", fmt.Errorf("rig: apt-get %v: %w", args, err)
		}
	}
	return exec.LookPath("haproxy")
}

// HAProxyConfig is a TCP-mode pass-through from listen to backend on
// loopback: no protocol awareness, no authorization, the reference for
// what forwarding alone costs. maxconn 4000 keeps its file descriptors
// (2 per connection) under a default ulimit -n. threads 0 leaves nbthread to HAProxy (one
// per CPU, as spsmg's event_loops 0).
func HAProxyConfig(listen, backend string, threads int) string {
	nb := ""
	if threads > 0 {
		nb = fmt.Sprintf("    nbthread %d\n", threads)
	}
	return fmt.Sprintf(`global
%s    maxconn 4000

defaults
    mode tcp
    timeout connect 5s
    timeout client 10m
    timeout server 10m

frontend sp
    bind %s
    default_backend smg

backend smg
    server smg1 %s
`, nb, listen, backend)
}
