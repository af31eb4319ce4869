package jsoningress_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/spsmg/spsmg/internal/jsonclient"
)

// BenchmarkJSONSend: JSON messages per second through the listener, the
// gateway and the simulated SMG (every message answered 0 by it, B001
// in one process on loopback. Each operation is one
// short connection carrying one A001 request of per messages; 16 clients
// at once. "report" accounts have a report_addr: each message's record is
// written before it is sent, and its report pushed back as an A002.
//
//	go test -run '^$' -bench JSONSend -benchtime 2000x ./test/jsoningress
func BenchmarkJSONSend(b *testing.B) {
	const bulk = "  - {id: bulk, protocol: json, access_numbers: [\"10655128\"], tps: 10000000, json: {app_id: bulk1, app_secret: bulkSecret1, service_code: FREE}}\n"
	for _, c := range []struct {
		report bool
		per    int
	}{{false, 1}, {false, 100}, {true, 1}, {true, 100}} {
		name := fmt.Sprintf("report=%v/messages=%d", c.report, c.per)
		b.Run(name, func(b *testing.B) {
			w := newWorld(b, options{extra: bulk, json: map[string]string{"max_connections": "1024"}})
			cl := w.client("bulk1", "bulkSecret1")
			if c.report {
				cl = w.shop()
			}
			msgs := make([]jsonclient.Message, c.per)
			for i := range msgs {
				msgs[i] = notice("Your parcel 4711 has left the depot")
			}
			b.ReportAllocs()
			b.SetParallelism(8)
			b.ResetTimer()
			var taken, later atomic.Int64
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					_, a, err := cl.Send(context.Background(), msgs...)
					var ans b001
					if err == nil {
						err = json.Unmarshal(a.Body, &ans)
					}
					if err != nil || len(ans.Results) != c.per {
						b.Errorf("send: %q %v", a.Body, err)
						return
					}
					// 1: taken by the SMG. 3: not now (the SMG's window
					// full; the merchant sends it again later): counted
					// apart. 2 would be a refusal, wrong here.
					for _, r := range ans.Results {
						switch r.Status {
						case "1":
							taken.Add(1)
						case "3":
							later.Add(1)
						default:
							b.Errorf("message %s: status %s (%s)", r.MsgID, r.Status, r.Reason)
							return
						}
					}
				}
			})
			b.StopTimer()
			b.ReportMetric(float64(taken.Load())/b.Elapsed().Seconds(), "msgs/s")
			b.ReportMetric(float64(later.Load())/float64(b.N*c.per), "try-later/msg")
		})
	}
}
