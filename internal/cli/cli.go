// Package cli is the command-line convention of spsmg's binaries (spsmg
// and its subcommands, smgsim, spsim), so that all of them behave alike:
//
//   - -h, -help or --help prints the command's usage to standard output
//     and exits 0;
//   - an unknown flag, a flag without its value, a bad value, a missing
//     required flag or an unexpected argument prints one line that names
//     it ("spsmg serve: flag provided but not defined: -confg"), then the
//     usage, to standard error and exits 2;
//   - any other failure prints "prog: error" to standard error and exits 1.
//
// Flags may be written -name or --name (package flag).
package cli

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
)

// Exit statuses.
const (
	ExitOK    = 0
	ExitError = 1
	ExitUsage = 2
)

// UsageError is a mistake in the command line.
type UsageError struct {
	Prog  string // the command, e.g. "spsmg serve"
	Err   error
	Usage string
}

func (e *UsageError) Error() string { return e.Prog + ": " + e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// Usage is head followed by the flags fs defines, as flag.PrintDefaults
// lists them.
func Usage(fs *flag.FlagSet, head string) string {
	var b bytes.Buffer
	out := fs.Output()
	fs.SetOutput(&b)
	fs.PrintDefaults()
	fs.SetOutput(out)
	if b.Len() == 0 {
		return head
	}
	return head + "\n\nflags:\n" + string(bytes.TrimRight(b.Bytes(), "\n"))
}

// Parse parses args into fs (whose name is the command, e.g. "spsmg
// serve"). On -h it writes the usage to stdout and returns flag.ErrHelp;
// on a mistake it returns a *UsageError naming it. head is the usage text
// above the flag list.
func Parse(fs *flag.FlagSet, args []string, head string, stdout io.Writer) error {
	fs.Init(fs.Name(), flag.ContinueOnError)
	fs.SetOutput(io.Discard) // flag's own message and usage: we print ours
	fs.Usage = func() {}
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprintln(stdout, Usage(fs, head))
		return flag.ErrHelp
	case err != nil:
		return &UsageError{Prog: fs.Name(), Err: err, Usage: Usage(fs, head)}
	}
	return nil
}

// Misuse is a usage error of fs's command found after parsing (a required
// flag missing, an unexpected argument, a bad combination).
func Misuse(fs *flag.FlagSet, head, format string, args ...any) error {
	return &UsageError{Prog: fs.Name(), Err: fmt.Errorf(format, args...), Usage: Usage(fs, head)}
}

// NoArgs refuses arguments left after the flags.
func NoArgs(fs *flag.FlagSet, head string) error {
	if fs.NArg() > 0 {
		return Misuse(fs, head, "unexpected argument %q", fs.Arg(0))
	}
	return nil
}

// Exit reports err on stderr the convention's way and returns the exit
// status: 0 for nil and flag.ErrHelp (the usage is already printed), 2
// for a *UsageError, 1 for anything else.
func Exit(prog string, err error, stderr io.Writer) int {
	var u *UsageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return ExitOK
	case errors.As(err, &u):
		fmt.Fprintf(stderr, "%s\n\n%s\n", u.Error(), u.Usage)
		return ExitUsage
	}
	fmt.Fprintf(stderr, "%s: %v\n", prog, err)
	return ExitError
}
