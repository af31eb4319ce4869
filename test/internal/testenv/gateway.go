package testenv

import (
	"context"
	"testing"
	"time"

	"github.com/spsmg/spsmg/authcache"
	"github.com/spsmg/spsmg/config"
	"github.com/spsmg/spsmg/proxy"
)

// StartGateway runs a gateway configured by yaml, over an in-memory store,
// until the test ends, and returns it with its configuration and engine
// (for what runs beside it, such as the JSON listener).
func StartGateway(t testing.TB, yaml string) (*proxy.Gateway, *config.Config, *authcache.Engine) {
	t.Helper()
	cfg, err := config.Parse([]byte(yaml))
	if err != nil {
		t.Fatalf("config: %v\n%s", err, yaml)
	}
	eng, err := authcache.Open(proxy.AuthPolicy(cfg), authcache.NewMemStore(nil), authcache.WithLogger(Quiet()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	gw, err := proxy.New(cfg, proxy.Options{Auth: eng, Logger: Quiet()})
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- gw.ListenAndServe() }()
	select {
	case <-gw.Ready():
	case err := <-served:
		t.Fatalf("gateway did not start: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = gw.Shutdown(ctx)
		<-served
	})
	return gw, cfg, eng
}
