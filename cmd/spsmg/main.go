// Command spsmg is the SP-side short message gateway.
//
//	spsmg serve  --config FILE             run the gateway
//	spsmg check  --config FILE             check a configuration file
//	spsmg demo   [--listen A] [--http A]   run it with the demo config and a simulated SMG
//	spsmg decode --proto P HEX             decode one PDU from hex to JSON
//	spsmg api    METHOD TARGET [BODY]      sign and send one SPMS API request
//	spsmg store backup|restore|verify      back up, restore or check a stopped gateway's store
//	spsmg version                          print the version and build
//
// Exit status: 0 done (or -h: the usage on standard output), 1 failed, 2 a
// mistake in the command line (named on standard error, with the usage).
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"

	"github.com/spsmg/spsmg/config"
	"github.com/spsmg/spsmg/internal/cli"
)

const usage = `usage: spsmg <command> [flags]

commands:
  serve   --config FILE            run the gateway
  check   --config FILE            check a configuration file: every problem, or ok and a summary
  demo    [--listen ADDR] [--http ADDR] [--smg ADDR] [--data DIR]
                                   run the gateway with the demo config and a
                                   simulated SMG; print a walk-through of every flow
  decode  --proto P [HEX]          decode one PDU (hex) to JSON
  api     METHOD TARGET [BODY]     sign and send one SPMS API request (demo key by default)
  store   backup|restore|verify --store DIR
                                   back up, restore or check the store of a stopped gateway
  version                          print the version, commit and Go version

Run 'spsmg <command> -h' for a command's flags.`

// version overrides the module version from the build information when
// set at build time: go build -ldflags "-X main.version=1.2.3".
var version string

func main() {
	os.Exit(exitStatus(run(os.Args[1:], os.Stdin, os.Stdout), os.Stderr))
}

// exitStatus reports err and returns the exit status (package cli's
// convention). A configuration the loader refused is printed one problem
// per line, each starting with the file and line, as compilers do.
func exitStatus(err error, stderr io.Writer) int {
	var cfgErr *config.Error
	if errors.As(err, &cfgErr) {
		fmt.Fprintln(stderr, cfgErr)
		return cli.ExitError
	}
	return cli.Exit("spsmg", err, stderr)
}

func run(args []string, stdin io.Reader, stdout io.Writer) error {
	if len(args) == 0 {
		return &cli.UsageError{Prog: "spsmg", Err: errors.New("a command is required"), Usage: usage}
	}
	switch args[0] {
	case "serve":
		return serveCmd(args[1:], stdout)
	case "check":
		return checkCmd(args[1:], stdout)
	case "demo":
		return demoCmd(args[1:], stdout)
	case "decode":
		return decodeCmd(args[1:], stdin, stdout)
	case "api":
		return apiCmd(args[1:], stdout)
	case "store":
		return storeCmd(args[1:], stdout)
	case "version", "--version", "-version", "-v":
		return versionCmd(args[1:], stdout)
	case "-h", "-help", "--help", "help":
		fmt.Fprintln(stdout, usage)
		return flag.ErrHelp
	}
	return &cli.UsageError{Prog: "spsmg", Err: fmt.Errorf("unknown command %q", args[0]), Usage: usage}
}

const versionUsage = `usage: spsmg version

Prints the module version, the commit it was built from (and whether the
tree had uncommitted changes), the commit's time and the Go version.`

func versionCmd(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("spsmg version", flag.ContinueOnError)
	if err := cli.Parse(fs, args, versionUsage, stdout); err != nil {
		return err
	}
	if err := cli.NoArgs(fs, versionUsage); err != nil {
		return err
	}
	bi, _ := debug.ReadBuildInfo()
	_, err := fmt.Fprint(stdout, versionText(bi, version))
	return err
}

// versionText describes the build: the version (override, else the
// module's), then the VCS settings the go command recorded, then Go.
func versionText(bi *debug.BuildInfo, override string) string {
	if bi == nil {
		bi = &debug.BuildInfo{}
	}
	v := override
	if v == "" {
		v = bi.Main.Version
	}
	if v == "" {
		v = "(unknown)"
	}
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	var b strings.Builder
	fmt.Fprintf(&b, "spsmg %s\n", v)
	if rev := settings["vcs.revision"]; rev != "" {
		if settings["vcs.modified"] == "true" {
			rev += " (modified)"
		}
		fmt.Fprintf(&b, "commit    %s\n", rev)
		if t := settings["vcs.time"]; t != "" {
			fmt.Fprintf(&b, "committed %s\n", t)
		}
	} else {
		b.WriteString("commit    unknown (built without VCS information: -buildvcs=false, or outside a git checkout)\n")
	}
	goVersion := bi.GoVersion
	if goVersion == "" {
		goVersion = "unknown"
	}
	if os, arch := settings["GOOS"], settings["GOARCH"]; os != "" {
		goVersion += " " + os + "/" + arch
	}
	fmt.Fprintf(&b, "go        %s\n", goVersion)
	return b.String()
}
