// Command spsmg is the SP-side short message gateway.
//
//	spsmg serve  --config spsmg.yaml       run the gateway
//	spsmg demo   [--listen A] [--http A]   run it with the demo config and a simulated SMG
//	spsmg decode --proto P HEX             decode one PDU from hex to JSON
//	spsmg api    METHOD TARGET [BODY]      sign and send one SPMS API request
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
)

const usage = `usage: spsmg <command> [flags]

commands:
  serve   --config FILE            run the gateway
  demo    [--listen ADDR] [--http ADDR] [--smg ADDR] [--data DIR]
                                   run the gateway with the demo config and a
                                   simulated SMG; print a walk-through of every flow
  decode  --proto P [HEX]          decode one PDU (hex) to JSON
  api     METHOD TARGET [BODY]     sign and send one SPMS API request (demo key by default)
  version                          print the version

Run 'spsmg <command> -h' for a command's flags.`

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	if err := run(os.Args[1:], os.Stdin, os.Stdout); err != nil {
		var u usageError
		if errors.As(err, &u) {
			fmt.Fprintln(os.Stderr, u.msg)
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "spsmg:", err)
		os.Exit(1)
	}
}

// usageError is a mistake in the command line, printed with the usage.
type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

func run(args []string, stdin io.Reader, stdout io.Writer) error {
	if len(args) == 0 {
		return usageError{usage}
	}
	switch args[0] {
	case "serve":
		return serveCmd(args[1:])
	case "demo":
		return demoCmd(args[1:], stdout)
	case "decode":
		return decodeCmd(args[1:], stdin, stdout)
	case "api":
		return apiCmd(args[1:], stdout)
	case "version", "--version", "-v":
		_, err := fmt.Fprintln(stdout, "spsmg", version)
		return err
	case "-h", "--help", "help":
		_, err := fmt.Fprintln(stdout, usage)
		return err
	}
	return usageError{fmt.Sprintf("unknown command %q\n\n%s", args[0], usage)}
}
