package testenv

import (
	"context"
	"errors"
	"net"

	"github.com/spsmg/spsmg/jsoningress"
)

// StartJSON starts the JSON socket listener (package jsoningress) beside
// the in-process gateway, as spsmg serve does: after Start, on the address
// of the previous start when there was one (JSONAddr). It stops before the
// gateway when the test ends, or earlier with the returned function (a
// restart: stop it, then World.Stop).
func (w *World) StartJSON() (*jsoningress.Server, func()) {
	t := w.T
	t.Helper()
	if w.GW == nil || w.Opts.JSON == nil {
		t.Fatal("StartJSON: start the gateway first, with Options.JSON set")
	}
	s, err := jsoningress.New(w.Cfg, jsoningress.Options{Gateway: w.GW, Store: jsoningress.EngineStore(w.Engine),
		Logger: Quiet(), Metrics: w.Reg})
	if err != nil {
		t.Fatal(err)
	}
	addr := w.JSONAddr
	if addr == "" {
		addr = w.Cfg.JSONListener()
	}
	var ln net.Listener
	if !Poll(Wait, func() bool { // a previous start's port may linger a moment
		ln, err = s.Listen(addr)
		return err == nil
	}) {
		t.Fatalf("json listener on %s: %v", addr, err)
	}
	w.JSONAddr = ln.Addr().String()
	served := make(chan error, 1)
	go func() { served <- s.Serve(ln) }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		ctx, cancel := context.WithTimeout(context.Background(), Wait)
		defer cancel()
		_ = s.Shutdown(ctx)
		if err := <-served; !errors.Is(err, jsoningress.ErrServerClosed) {
			t.Errorf("json listener: Serve returned %v, want ErrServerClosed", err)
		}
	}
	t.Cleanup(stop)
	return s, stop
}
