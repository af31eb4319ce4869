package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spsmg/spsmg/authcache"
	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/config"
	"github.com/spsmg/spsmg/internal/cli"
	"github.com/spsmg/spsmg/jsoningress"
	"github.com/spsmg/spsmg/proxy"
	"github.com/spsmg/spsmg/reconcile"
)

const storeUsage = `usage: spsmg store backup|restore|verify [flags]

Works on the store directory (store.path) of a stopped gateway: Badger lets
one process at a time open a store, so stop spsmg serve first (these
commands say so if it is running). Name the store with --store DIR, or with
--config FILE to take store.path from the configuration.

  backup  --out FILE            write a full backup of the store into FILE
  restore --in FILE [--force]   restore FILE into an empty (or, with
                                --force, a moved-aside) store directory
  verify                        check every file and every record; exit 1
                                if anything is damaged

Run 'spsmg store <command> -h' for a command's flags. The procedure after
each kind of damage is in the README: "Backup, restore and recovery".`

const storeBackupUsage = `usage: spsmg store backup (--store DIR | --config FILE) --out FILE

Writes a full backup (Badger's own backup stream, with a checksum) of the
store into FILE, atomically: FILE appears only once it is complete. Prints
the records backed up by kind.`

const storeRestoreUsage = `usage: spsmg store restore (--store DIR | --config FILE) --in FILE [--force]

Checks the backup FILE whole (its checksum), then loads it into the store
directory, which must be missing or empty. With --force a non-empty
directory is first moved aside to DIR.before-restore-YYYYMMDDTHHMMSS (kept,
never deleted). Prints the records restored by kind.`

const storeVerifyUsage = `usage: spsmg store verify (--store DIR | --config FILE)

Opens the store read-only (read-write when it was not closed cleanly, to
replay its write-ahead log as spsmg serve would), verifies the checksum of
every table, and decodes every record: subscriptions, LinkIDs, pending
subscriptions, routes and the MO/report outbox (with --config, each outbox
frame is parsed as the SPs' protocol). Prints the records by kind and every
bad one; exits 1 if anything is damaged.`

// storeCmd runs `spsmg store`.
func storeCmd(args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return &cli.UsageError{Prog: "spsmg store", Err: errors.New("a command is required: backup, restore or verify"), Usage: storeUsage}
	}
	switch args[0] {
	case "backup":
		return storeBackupCmd(args[1:], stdout)
	case "restore":
		return storeRestoreCmd(args[1:], stdout)
	case "verify":
		return storeVerifyCmd(args[1:], stdout)
	case "-h", "-help", "--help", "help":
		fmt.Fprintln(stdout, storeUsage)
		return flag.ErrHelp
	}
	return &cli.UsageError{Prog: "spsmg store", Err: fmt.Errorf("unknown command %q", args[0]), Usage: storeUsage}
}

// storeFlags are the flags every store command takes.
type storeFlags struct {
	fs     *flag.FlagSet
	store  *string
	config *string
	usage  string
}

func newStoreFlags(name, usage string) *storeFlags {
	fs := flag.NewFlagSet("spsmg store "+name, flag.ContinueOnError)
	return &storeFlags{fs: fs, usage: usage,
		store:  fs.String("store", "", "store directory"),
		config: fs.String("config", "", "configuration file (its store.path)")}
}

// parse parses args as package cli does: after -h the usage is printed to
// stdout and flag.ErrHelp returned.
func (f *storeFlags) parse(args []string, stdout io.Writer) error {
	if err := cli.Parse(f.fs, args, f.usage, stdout); err != nil {
		return err
	}
	return cli.NoArgs(f.fs, f.usage)
}

// resolve returns the store directory and, with --config, the
// configuration.
func (f *storeFlags) resolve() (string, *config.Config, error) {
	switch {
	case *f.store != "" && *f.config != "":
		return "", nil, cli.Misuse(f.fs, f.usage, "--store and --config both name the store: give one")
	case *f.store != "":
		return *f.store, nil, nil
	case *f.config != "":
		cfg, _, err := config.Load(*f.config)
		if err != nil {
			return "", nil, fmt.Errorf("%s: --config %s: %w", f.fs.Name(), *f.config, err)
		}
		return cfg.Store.Path, cfg, nil
	}
	return "", nil, cli.Misuse(f.fs, f.usage, "--store DIR or --config FILE is required")
}

// storeLogger prints warnings and errors (Badger's, and what the checks
// found) to standard error.
func storeLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// openForReading opens a store read-only, or read-write when Badger must
// replay its write-ahead log first (the store was not closed cleanly).
func openForReading(dir string, log *slog.Logger, out io.Writer) (*authcache.BadgerStore, error) {
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("--store %s: %w", dir, err)
	}
	st, err := authcache.OpenBadger(dir, authcache.BadgerOptions{ReadOnly: true, Logger: log})
	if errors.Is(err, authcache.ErrNeedsWrite) {
		fmt.Fprintf(out, "store %s was not closed cleanly: opening it read-write to replay its write-ahead log, as spsmg serve would\n", dir)
		st, err = authcache.OpenBadger(dir, authcache.BadgerOptions{Logger: log})
	}
	return st, err
}

// recordCensus is every record of a store by kind, and the bad ones.
type recordCensus struct {
	kinds    map[string]int
	bad      []string // "key: error"
	badCount int
	orphans  int // outbox records of accounts not in the configuration
}

const maxBadShown = 20

// census reads every record of st. With cfg, outbox frames are parsed as
// their account's protocol and unknown accounts are counted.
func census(st *authcache.BadgerStore, cfg *config.Config) (*recordCensus, error) {
	c := &recordCensus{kinds: map[string]int{}}
	protos := map[string]codec.Protocol{}
	if cfg != nil {
		for _, a := range cfg.Accounts {
			protos[a.ID] = orDefault(a.Protocol, cfg.DefaultUpstreamConfig().Protocol)
		}
	}
	err := st.Scan(nil, func(k, v []byte) error {
		var kind string
		var err error
		switch {
		case strings.HasPrefix(string(k), authcache.KeyPrefix):
			kind, err = authcache.CheckRecord(k, v)
		case strings.HasPrefix(string(k), reconcile.KeyPrefix):
			kind, err = reconcile.CheckRecord(k, v)
		case strings.HasPrefix(string(k), "ob/"):
			var account string
			account, kind, err = proxy.CheckOutboxRecord(codec.ProtocolUnknown, k, v)
			if p, ok := protos[account]; err == nil && ok {
				_, _, err = proxy.CheckOutboxRecord(p, k, v)
			} else if err == nil && cfg != nil {
				c.orphans++
			}
			kind = "outbox_" + kind
		case strings.HasPrefix(string(k), "adm/"):
			kind, err = proxy.CheckAdminRecord(k, v)
		case strings.HasPrefix(string(k), jsoningress.KeyPrefix):
			kind, err = jsoningress.CheckRecord(k, v)
		default:
			err = errors.New("not a key spsmg writes")
		}
		if err != nil {
			c.badCount++
			if len(c.bad) < maxBadShown {
				c.bad = append(c.bad, fmt.Sprintf("%q: %v", k, err))
			}
			return nil
		}
		c.kinds[kind]++
		return nil
	})
	return c, err
}

func orDefault(a, b codec.Protocol) codec.Protocol {
	if a != codec.ProtocolUnknown {
		return a
	}
	return b
}

func (c *recordCensus) print(w io.Writer) {
	kinds := make([]string, 0, len(c.kinds))
	total := 0
	for k, n := range c.kinds {
		kinds = append(kinds, k)
		total += n
	}
	slices.Sort(kinds)
	fmt.Fprintf(w, "records: %d\n", total)
	for _, k := range kinds {
		fmt.Fprintf(w, "  %-24s %d\n", k, c.kinds[k])
	}
	if c.orphans > 0 {
		fmt.Fprintf(w, "  (%d outbox records wait for accounts no longer configured; serve keeps them)\n", c.orphans)
	}
	if c.badCount > 0 {
		fmt.Fprintf(w, "bad records: %d\n", c.badCount)
		for _, b := range c.bad {
			fmt.Fprintf(w, "  %s\n", b)
		}
		if c.badCount > len(c.bad) {
			fmt.Fprintf(w, "  … and %d more\n", c.badCount-len(c.bad))
		}
	}
}

func printRecovery(w io.Writer, r authcache.Recovery) {
	for _, l := range r.Logs {
		fmt.Fprintf(w, "write-ahead log %s was damaged: Badger replayed %d bytes and dropped %d bytes after the damage, with %d entries (%s)\n",
			l.Path, l.ReplayedBytes, l.DroppedBytes, l.Entries, l.Prefixes())
	}
}

func storeVerifyCmd(args []string, stdout io.Writer) error {
	f := newStoreFlags("verify", storeVerifyUsage)
	if err := f.parse(args, stdout); err != nil {
		return err
	}
	dir, cfg, err := f.resolve()
	if err != nil {
		return err
	}
	st, err := openForReading(dir, storeLogger(), stdout)
	if err != nil {
		return err
	}
	defer st.Close()
	fmt.Fprintf(stdout, "store %s\n", dir)
	var problems []string
	if r := st.Recovery(); r.DroppedBytes > 0 {
		printRecovery(stdout, r)
		problems = append(problems, fmt.Sprintf("%d write-ahead log entries dropped", r.DroppedEntries))
	}
	if err := st.VerifyChecksum(); err != nil {
		fmt.Fprintf(stdout, "table checksums: FAILED: %v\n", err)
		problems = append(problems, "a table fails its checksum")
	} else {
		fmt.Fprintln(stdout, "table checksums: ok")
	}
	c, err := census(st, cfg)
	if err != nil {
		return fmt.Errorf("store verify: reading the records: %w", err)
	}
	c.print(stdout)
	if c.badCount > 0 {
		problems = append(problems, fmt.Sprintf("%d bad records", c.badCount))
	}
	if len(problems) > 0 {
		return fmt.Errorf("store %s is damaged: %s (README: \"Backup, restore and recovery\")", dir, strings.Join(problems, ", "))
	}
	fmt.Fprintln(stdout, "ok")
	return nil
}

func storeBackupCmd(args []string, stdout io.Writer) error {
	f := newStoreFlags("backup", storeBackupUsage)
	out := f.fs.String("out", "", "backup file to write")
	if err := f.parse(args, stdout); err != nil {
		return err
	}
	if *out == "" {
		return cli.Misuse(f.fs, f.usage, "--out FILE is required")
	}
	dir, cfg, err := f.resolve()
	if err != nil {
		return err
	}
	st, err := openForReading(dir, storeLogger(), stdout)
	if err != nil {
		return err
	}
	defer st.Close()
	c, err := census(st, cfg)
	if err != nil {
		return fmt.Errorf("store backup: reading the records: %w", err)
	}
	tmp := *out + ".tmp"
	fh, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("store backup: --out %s: %w", *out, err)
	}
	n, err := st.Backup(fh)
	if err == nil {
		err = fh.Sync()
	}
	if cerr := fh.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, *out)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("store backup: --out %s: %w", *out, err)
	}
	if d, err := os.Open(filepath.Dir(*out)); err == nil {
		d.Sync()
		d.Close()
	}
	fmt.Fprintf(stdout, "backup of %s written to %s (%d bytes)\n", dir, *out, n)
	c.print(stdout)
	if c.badCount > 0 {
		fmt.Fprintf(stdout, "warning: %d records do not decode; they are in the backup as they are (spsmg store verify)\n", c.badCount)
	}
	return nil
}

func storeRestoreCmd(args []string, stdout io.Writer) error {
	f := newStoreFlags("restore", storeRestoreUsage)
	in := f.fs.String("in", "", "backup file to restore")
	force := f.fs.Bool("force", false, "move a non-empty store directory aside first")
	if err := f.parse(args, stdout); err != nil {
		return err
	}
	if *in == "" {
		return cli.Misuse(f.fs, f.usage, "--in FILE is required")
	}
	dir, cfg, err := f.resolve()
	if err != nil {
		return err
	}
	fh, err := os.Open(*in)
	if err != nil {
		return fmt.Errorf("store restore: --in %s: %w", *in, err)
	}
	defer fh.Close()
	fi, err := fh.Stat()
	if err != nil {
		return fmt.Errorf("store restore: --in %s: %w", *in, err)
	}
	// The whole file is checked before anything is moved.
	if _, err := authcache.OpenBackup(fh, fi.Size()); err != nil {
		return fmt.Errorf("store restore: --in %s: %w", *in, err)
	}
	if ents, err := os.ReadDir(dir); err == nil && len(ents) > 0 {
		if !*force {
			return fmt.Errorf("store restore: --store %s is not empty: add --force to move it aside (it is kept) and restore into a new directory", dir)
		}
		aside, err := moveAside(dir)
		if err != nil {
			return fmt.Errorf("store restore: --force: %w", err)
		}
		fmt.Fprintf(stdout, "moved %s aside to %s\n", dir, aside)
	}
	log := storeLogger()
	if err := authcache.RestoreBadger(dir, fh, fi.Size(), authcache.BadgerOptions{Logger: log}); err != nil {
		return fmt.Errorf("store restore: %w", err)
	}
	st, err := authcache.OpenBadger(dir, authcache.BadgerOptions{ReadOnly: true, Logger: log})
	if err != nil {
		return fmt.Errorf("store restore: reopening the restored store: %w", err)
	}
	defer st.Close()
	c, err := census(st, cfg)
	if err != nil {
		return fmt.Errorf("store restore: reading the restored records: %w", err)
	}
	fmt.Fprintf(stdout, "restored %s into %s\n", *in, dir)
	c.print(stdout)
	if c.badCount > 0 {
		return fmt.Errorf("store restore: %d restored records do not decode", c.badCount)
	}
	return nil
}

// moveAside renames a store directory out of the way, under its lock so
// that a running gateway's store is never moved.
func moveAside(dir string) (string, error) {
	unlock, err := authcache.LockBadgerDir(dir)
	if err != nil {
		return "", err
	}
	defer unlock()
	aside := fmt.Sprintf("%s.before-restore-%s", filepath.Clean(dir), time.Now().Format("20060102T150405"))
	if err := os.Rename(dir, aside); err != nil {
		return "", fmt.Errorf("move %s aside (a mount point cannot be moved: empty it yourself): %w", dir, err)
	}
	return aside, nil
}
