package proxy

import (
	"context"
	"errors"
	"net"
	"time"

	"github.com/panjf2000/gnet/v2"
)

// probe is a throw-away loopback connection registered with the engine to
// learn its event loops. gnet does not list its loops, yet spsmg wants an
// upstream bind on every loop before the first SP arrives (binds on the SP's
// own loop keep the MT path synchronous, docs/performance-notes.md §1). With the
// LeastConnections balancer each probe lands on the emptiest loop, so N
// probes held open together find N loops.
type probe struct {
	loops chan *loop
}

func (p *probe) found(l *loop) { p.loops <- l }

// discoverLoops registers probes until every loop has been seen (bounded by
// attempts and time), then closes them.
func discoverLoops(g *Gateway, eng gnet.Engine) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer ln.Close()
	p := &probe{loops: make(chan *loop, 4*g.numLoops)}
	seen := make(map[*loop]bool)
	var held []net.Conn
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	deadline := time.Now().Add(5 * time.Second)
	for attempt := 0; len(seen) < g.numLoops && attempt < 4*g.numLoops && time.Now().Before(deadline); attempt++ {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			return err
		}
		peer, err := ln.Accept()
		if err != nil {
			c.Close()
			return err
		}
		held = append(held, c, peer)
		ctx := gnet.NewNetConnContext(gnet.NewContext(context.Background(), p), c)
		ch, err := eng.Register(ctx)
		if err != nil {
			return err
		}
		res := <-ch
		if res.Err != nil {
			return res.Err
		}
		held = append(held, res.Conn)
		select {
		case l := <-p.loops:
			seen[l] = true
		case <-time.After(time.Until(deadline)):
		}
	}
	if len(seen) < g.numLoops {
		return errors.New("proxy: found only some event loops; binds will be created as loops are seen")
	}
	return nil
}
