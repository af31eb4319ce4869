package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/spsmg/spsmg/authcache"
	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/config"
	"github.com/spsmg/spsmg/proxy"
)

// makeStore writes a store with one record of every kind spsmg keeps,
// plus outbox records, and closes it.
func makeStore(t *testing.T, dir string) {
	t.Helper()
	cfg, err := config.Parse(config.Demo)
	if err != nil {
		t.Fatal(err)
	}
	st, err := authcache.OpenBadger(dir, authcache.BadgerOptions{Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	e, err := authcache.Open(proxy.AuthPolicy(cfg), st, authcache.WithLogger(quiet()))
	if err != nil {
		t.Fatal(err)
	}
	sp := cfg.Accounts[0].ID
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(e.Subscribe(sp, "13800138001", "NEWS", authcache.SourceImport))
	must(e.Subscribe(sp, "13800138002", "NEWS", authcache.SourceImport))
	_, err = e.Unsubscribe(sp, "13800138002", "NEWS")
	must(err)
	_, err = e.IssueWebCode(sp, "13800138003")
	must(err)
	act := e.OnMO(&authcache.MO{User: []byte("13800138004"), SPNumber: []byte("10655123"), SP: sp, ServiceCode: []byte("HELP"), Text: "HELP", LinkIDMax: 8})
	if act.LinkID == "" {
		t.Fatalf("MO: %+v", act)
	}
	if d := e.Authorize(&authcache.MT{SP: sp, ServiceCode: []byte("HELP"), LinkID: []byte(act.LinkID), Dests: [][]byte{[]byte("13800138004")}}); !d.Allow {
		t.Fatalf("MT with the MO's LinkID: %+v", d) // spends a use: an ac/u/ record
	}
	_, err = e.RequestSubscription(authcache.SubscriptionRequest{SP: sp, SPNumber: "10655123", ServiceCode: "NEWS", User: "13800138005", Text: "DZNEWS"})
	must(err)
	o, _ := authcache.MakeOrigin([]byte("seq"))
	e.PutRoute([]byte("MSGID-1"), authcache.Route{SP: sp, Origin: o})
	for i := range 3 {
		frame := binary.BigEndian.AppendUint32(nil, 12)
		frame = append(frame, make([]byte, 8)...)
		key := binary.BigEndian.AppendUint64([]byte("ob/"+sp+"/"), uint64(i))
		must(e.Enqueue(authcache.Mutation{Key: key, Value: append([]byte{byte(codec.KindDeliver)}, frame...)}))
	}
	// A suspension the admin API wrote (proxy/admin.go).
	must(e.Enqueue(authcache.Mutation{Key: []byte("adm/suspended/" + sp), Value: []byte(`{"since":"2026-01-01T00:00:00Z","by":"ops"}`)}))
	must(e.Close())
}

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

// runStore runs `spsmg store args...` and returns its standard output.
func runStore(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := run(append([]string{"store"}, args...), strings.NewReader(""), &out)
	return out.String(), err
}

// recordLines keeps the per-kind lines of a census.
func recordLines(out string) string {
	var b strings.Builder
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "records:") || strings.HasPrefix(l, "  ") {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

func TestStoreVerifyBackupRestore(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	makeStore(t, dir)

	out, err := runStore(t, "verify", "--store", dir)
	if err != nil {
		t.Fatalf("verify of a good store: %v\n%s", err, out)
	}
	census := recordLines(out)
	for _, k := range []string{"subscription", "cancelled_subscription", "web_code", "mo_linkid", "linkid_uses", "pending_subscription", "route", "outbox_deliver", "suspension"} {
		if !regexp.MustCompile(`(?m)^  ` + k + ` +[1-9]`).MatchString(census) {
			t.Errorf("verify counts no %s:\n%s", k, out)
		}
	}
	if !strings.Contains(out, "table checksums: ok") || !strings.HasSuffix(out, "ok\n") {
		t.Errorf("verify output:\n%s", out)
	}

	bak := filepath.Join(t.TempDir(), "store.bak")
	out, err = runStore(t, "backup", "--store", dir, "--out", bak)
	if err != nil || recordLines(out) != census {
		t.Fatalf("backup: %v\n%s\nwant the census\n%s", err, out, census)
	}
	restored := filepath.Join(t.TempDir(), "restored")
	out, err = runStore(t, "restore", "--store", restored, "--in", bak)
	if err != nil || recordLines(out) != census {
		t.Fatalf("restore: %v\n%s\nwant the census\n%s", err, out, census)
	}
	if out, err := runStore(t, "verify", "--store", restored); err != nil || recordLines(out) != census {
		t.Fatalf("verify of the restored store: %v\n%s", err, out)
	}

	// A non-empty target is refused without --force, and moved aside (not
	// deleted) with it.
	_, err = runStore(t, "restore", "--store", dir, "--in", bak)
	if err == nil || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("restore over a store without --force: %v", err)
	}
	out, err = runStore(t, "restore", "--store", dir, "--in", bak, "--force")
	if err != nil || recordLines(out) != census {
		t.Fatalf("restore --force: %v\n%s", err, out)
	}
	aside := regexp.MustCompile(`moved \S+ aside to (\S+)`).FindStringSubmatch(out)
	if aside == nil {
		t.Fatalf("restore --force does not say where the old store went:\n%s", out)
	}
	if out, err := runStore(t, "verify", "--store", aside[1]); err != nil || recordLines(out) != census {
		t.Errorf("the store moved aside: %v\n%s", err, out)
	}
}

// TestStoreVerifyDamage: a damaged table is named with what to do; a
// record that does not decode is listed; both exit non-zero.
func TestStoreVerifyDamage(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	makeStore(t, dir)
	ssts, _ := filepath.Glob(filepath.Join(dir, "*.sst"))
	if len(ssts) == 0 {
		t.Fatal("no table file")
	}
	fi, _ := os.Stat(ssts[0])
	if err := os.Truncate(ssts[0], fi.Size()-1); err != nil {
		t.Fatal(err)
	}
	_, err := runStore(t, "verify", "--store", dir)
	var de *authcache.DamageError
	if !errors.As(err, &de) || de.Path != ssts[0] || !strings.Contains(err.Error(), "spsmg store restore") {
		t.Fatalf("verify of a cut table: %v", err)
	}
	if _, err := runStore(t, "backup", "--store", dir, "--out", filepath.Join(t.TempDir(), "b")); !errors.As(err, &de) {
		t.Errorf("backup of a damaged store: %v", err)
	}

	dir = filepath.Join(t.TempDir(), "data")
	makeStore(t, dir)
	st, err := authcache.OpenBadger(dir, authcache.BadgerOptions{Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Apply([]authcache.Mutation{{Key: []byte("ac/r/BROKEN"), Value: []byte{1, 0xff}}, {Key: []byte("zz"), Value: []byte("?")}}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	out, err := runStore(t, "verify", "--store", dir)
	if err == nil || !strings.Contains(err.Error(), "2 bad records") || !strings.Contains(out, `"ac/r/BROKEN": authcache: corrupt record: route value`) ||
		!strings.Contains(out, `"zz": not a key spsmg writes`) {
		t.Fatalf("verify of a bad record: %v\n%s", err, out)
	}
}

// TestStoreVerifyWALDamage: damage in the write-ahead log of a store left
// by a crash is reported and exits non-zero.
func TestStoreVerifyWALDamage(t *testing.T) {
	live := filepath.Join(t.TempDir(), "live")
	st, err := authcache.OpenBadger(live, authcache.BadgerOptions{Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	var batch []authcache.Mutation
	for i := range 2000 {
		batch = append(batch, authcache.Mutation{Key: fmt.Appendf(nil, "ob/sp/%08d", i), Value: []byte{byte(codec.KindDeliver), 0, 0, 0, 12, 0, 0, 0, 0, 0, 0, 0, 0}})
		if len(batch) == 100 {
			if err := st.Apply(batch); err != nil {
				t.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	// A copy while it is open is what a kill leaves.
	crash := filepath.Join(t.TempDir(), "crash")
	copyDir(t, live, crash)
	st.Close()
	mems, _ := filepath.Glob(filepath.Join(crash, "*.mem"))
	if len(mems) != 1 {
		t.Fatalf("write-ahead logs: %v", mems)
	}
	b, _ := os.ReadFile(mems[0])
	end := len(b)
	for end > 0 && b[end-1] == 0 {
		end--
	}
	for i := end / 3; i < end/3+8; i++ {
		b[i] ^= 0xff
	}
	if err := os.WriteFile(mems[0], b, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := runStore(t, "verify", "--store", crash)
	if err == nil || !strings.Contains(err.Error(), "write-ahead log entries dropped") ||
		!regexp.MustCompile(`write-ahead log \S+\.mem was damaged: .* dropped \d+ bytes after the damage, with [1-9]\d* entries \(ob/=`).MatchString(out) {
		t.Fatalf("verify of a damaged write-ahead log: %v\n%s", err, out)
	}
}

func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	if err := os.MkdirAll(dst, 0o700); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(src)
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// TestStoreLocked: a store another process (here: this one) has open is
// neither read nor moved.
func TestStoreLocked(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	makeStore(t, dir)
	st, err := authcache.OpenBadger(dir, authcache.BadgerOptions{Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	bak := filepath.Join(t.TempDir(), "b")
	if _, err := runStore(t, "verify", "--store", dir); !errors.Is(err, authcache.ErrStoreLocked) {
		t.Errorf("verify: %v", err)
	}
	if _, err := runStore(t, "backup", "--store", dir, "--out", bak); !errors.Is(err, authcache.ErrStoreLocked) {
		t.Errorf("backup: %v", err)
	}
	src := filepath.Join(t.TempDir(), "other")
	makeStore(t, src)
	if _, err := runStore(t, "backup", "--store", src, "--out", bak); err != nil {
		t.Fatal(err)
	}
	if _, err := runStore(t, "restore", "--store", dir, "--in", bak, "--force"); !errors.Is(err, authcache.ErrStoreLocked) {
		t.Errorf("restore --force over an open store: %v", err)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Errorf("the open store was moved: %v", err)
	}
}

// TestStoreFlags: mistakes name the flag; -h prints the usage.
func TestStoreFlags(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		says string
	}{
		{[]string{}, "a command is required"},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"verify"}, "--store DIR or --config FILE is required"},
		{[]string{"verify", "--store", dir, "--config", "x.yaml"}, "--store and --config both name the store"},
		{[]string{"verify", "--stor", dir}, "flag provided but not defined: -stor"},
		{[]string{"verify", "--store", dir, "extra"}, `unexpected argument "extra"`},
		{[]string{"verify", "--store", filepath.Join(dir, "missing")}, "--store " + filepath.Join(dir, "missing")},
		{[]string{"verify", "--config", filepath.Join(dir, "missing.yaml")}, "--config " + filepath.Join(dir, "missing.yaml")},
		{[]string{"backup", "--store", dir}, "--out FILE is required"},
		{[]string{"restore", "--store", dir}, "--in FILE is required"},
		{[]string{"restore", "--store", dir, "--in", filepath.Join(dir, "nope")}, "--in " + filepath.Join(dir, "nope")},
	} {
		_, err := runStore(t, c.args...)
		if err == nil || !strings.Contains(err.Error(), c.says) {
			t.Errorf("store %v: %v, want %q", c.args, err, c.says)
		}
	}
	bad := filepath.Join(dir, "bad.bak")
	os.WriteFile(bad, []byte("not a backup at all, but long enough to have a trailer......"), 0o600)
	if _, err := runStore(t, "restore", "--store", filepath.Join(dir, "new"), "--in", bad); !errors.Is(err, authcache.ErrBadBackup) ||
		!strings.Contains(err.Error(), "--in "+bad) {
		t.Errorf("restore of a file that is no backup: %v", err)
	}
	for _, sub := range []string{"backup", "restore", "verify"} {
		out, err := runStore(t, sub, "-h")
		if !errors.Is(err, flag.ErrHelp) || !strings.HasPrefix(out, "usage: spsmg store "+sub) {
			t.Errorf("store %s -h: %v\n%s", sub, err, out)
		}
	}
	if out, err := runStore(t, "-h"); !errors.Is(err, flag.ErrHelp) || !strings.HasPrefix(out, "usage: spsmg store") {
		t.Errorf("store -h: %v %q", err, out)
	}
}

// TestStoreConfig: --config takes store.path from the configuration, and
// outbox frames are parsed as the accounts' protocol.
func TestStoreConfig(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	makeStore(t, dir) // its outbox frames are 12 zero-padded bytes, no CMPP PDU
	cfgPath := filepath.Join(t.TempDir(), "spsmg.yaml")
	y := strings.Replace(string(config.Demo), "path: data", "path: "+dir, 1)
	if y == string(config.Demo) {
		t.Fatal("demo.yaml has no store path to replace")
	}
	if err := os.WriteFile(cfgPath, []byte(y), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := runStore(t, "verify", "--config", cfgPath)
	if err == nil || !strings.Contains(out, "store "+dir) || !strings.Contains(out, "outbox: cmpp3 frame") {
		t.Fatalf("verify --config: %v\n%s", err, out)
	}
}
