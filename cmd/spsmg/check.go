package main

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/spsmg/spsmg/config"
)

const checkUsage = `usage: spsmg check --config FILE

Reads the configuration as spsmg serve would, without starting anything.
A good file prints "ok" and a one-line summary (listeners, upstream,
accounts) on standard output, then any warnings, and exits 0. A bad one
prints every problem on standard error, one per line with the file, line
and YAML path (spsmg.yaml:12: accounts[1].tps: "fast" is not a number),
and exits 1.`

func checkCmd(args []string, stdout io.Writer) error {
	path, err := configFlag(flag.NewFlagSet("spsmg check", flag.ContinueOnError), args, checkUsage, stdout)
	if err != nil {
		return err
	}
	cfg, warnings, err := config.Load(path)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "ok: %s: %s\n", path, summary(cfg))
	for _, w := range warnings {
		fmt.Fprintf(stdout, "warning: %s\n", w)
	}
	return nil
}

// summary is one line on what a configuration runs:
// "listeners cmpp3 0.0.0.0:7890; upstream cmpp3 10.1.2.3:7890 (1 bind per loop, window 256); 12 accounts".
func summary(cfg *config.Config) string {
	ls := make([]string, len(cfg.Listeners))
	for i, l := range cfg.Listeners {
		ls[i] = fmt.Sprintf("%s %s", l.Protocol, l.Addr)
	}
	var up string
	if len(cfg.UpstreamList) == 0 {
		u := cfg.Upstream
		up = fmt.Sprintf("upstream %s %s (%s per loop, window %d)", u.Protocol, u.Addr, plural(u.BindsPerLoop, "bind"), u.Window)
		if u.Inbound != nil {
			up += fmt.Sprintf(", inbound %s", u.Inbound.Addr)
		}
	} else {
		// upstreams cmcc cmpp3 10.1.2.3:7890 (default), unicom sgip 10.2.3.4:8801 (inbound 0.0.0.0:8802)
		ups := cfg.Upstreams()
		items := make([]string, len(ups))
		for i, u := range ups {
			items[i] = fmt.Sprintf("%s %s %s", u.Name, u.Protocol, u.Addr)
			var notes []string
			if i == cfg.DefaultUpstream() {
				notes = append(notes, "default")
			}
			if u.Inbound != nil {
				notes = append(notes, "inbound "+u.Inbound.Addr)
			}
			if len(notes) > 0 {
				items[i] += " (" + strings.Join(notes, ", ") + ")"
			}
		}
		up = pluralWord(len(ups), "upstream") + " " + strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s %s; %s; %s; http %s; store %s", pluralWord(len(ls), "listener"), strings.Join(ls, ", "),
		up, plural(len(cfg.Accounts), "account"), cfg.HTTP.Addr, cfg.Store.Path)
}

func plural(n int, word string) string { return fmt.Sprintf("%d %s", n, pluralWord(n, word)) }

func pluralWord(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
