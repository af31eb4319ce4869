//go:build !race

package sp_test

import (
	"context"
	"runtime"
	"testing"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/sim/sp"
)

// TestLoadAllocs guards the load path: a run allocates for its setup
// (buffers, ring, histogram), never per message. The echo server runs in the
// same process and is counted too. (Not under -race, which allocates.)
func TestLoadAllocs(t *testing.T) {
	for _, p := range []codec.Protocol{codec.SGIP, codec.CMPP30, codec.SMGP30, codec.SMPP34} {
		addr := echoAddr(t, p)
		cfg := sp.LoadConfig{Protocol: p, Addr: addr, Login: testLogin, Secret: testSecret,
			Conns: 2, Window: 64, Total: 200000, Mix: echoMix(), NeedReport: true}
		var ms0, ms1 runtime.MemStats
		runtime.ReadMemStats(&ms0)
		rep, err := sp.Run(context.Background(), cfg)
		runtime.ReadMemStats(&ms1)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Answered() != 200000 {
			t.Fatalf("%s: answered %d", p, rep.Answered())
		}
		perMsg := float64(ms1.Mallocs-ms0.Mallocs) / 200000
		if perMsg > 0.01 {
			t.Errorf("%s: %.4f allocations per message (%d in all)", p, perMsg, ms1.Mallocs-ms0.Mallocs)
		}
	}
}
