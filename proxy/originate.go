package proxy

import (
	"context"
	"errors"

	"github.com/panjf2000/gnet/v2"

	"github.com/spsmg/spsmg/codec"
)

// ErrUpstreamUnavailable: no SMG bind is logged in.
var ErrUpstreamUnavailable = errors.New("proxy: no SMG bind logged in")

// Origination is an MT spsmg sends on its own behalf: a web on-demand
// confirmation code or a subscription's Noti_User (docs/authorization.md §2, §3a). It
// goes through the upstream binds with spsmg's own sequence, and its
// response is consumed here, never shown to an SP.
type Origination struct {
	SPNumber    string // source number: the portal number, or portal + ID
	User        string // recipient
	ServiceCode string
	Text        string
	CorpID      string
}

// OriginResult is the SMG's answer.
type OriginResult struct {
	Result uint32
	MsgID  []byte
}

// originLoop is the loop an MT spsmg sends itself (Originate, an
// ingress's SubmitMT) goes out on: the next, in turn, with a ready bind of
// u; nil when none has one. Any goroutine.
func (g *Gateway) originLoop(u *upstream) *loop {
	loops := g.loopList()
	start := int(g.originRR.Add(1))
	for i := range loops {
		if l := loops[(start+i)%len(loops)]; l.ups[u.idx].ready.Load() > 0 {
			return l
		}
	}
	return nil
}

// Originate sends o and waits for the SMG's response or ctx. Any goroutine
// (the HTTP API calls it).
func (g *Gateway) Originate(ctx context.Context, o Origination) (OriginResult, error) {
	u := g.upstreamFor(o.User) // the upstream of the user's number
	target := g.originLoop(u)
	if target == nil {
		return OriginResult{}, ErrUpstreamUnavailable
	}
	type answer struct {
		r   OriginResult
		err error
	}
	res := make(chan answer, 1)
	coding, content := encodeText(o.Text)
	mt := codec.Submit{SPNumber: o.SPNumber, Dests: []string{u.d.UserNumber(o.User)}, ServiceCode: o.ServiceCode, CorpID: o.CorpID,
		Fee: codec.Fee{Payer: codec.PayerSP}, Coding: coding, Content: content, Priority: 1}
	err := target.el.Execute(ctx, gnet.RunnableFunc(func(context.Context) error {
		target.tick()
		b := u.pick(target)
		if b == nil {
			res <- answer{err: ErrUpstreamUnavailable}
			return nil
		}
		b.send(codec.KindSubmit, func(dst []byte, seq wireSeq) []byte { return u.d.AppendSubmit(dst, seq[:u.seqLen], &mt) },
			func(result uint32, msgID []byte, err error) {
				res <- answer{OriginResult{Result: result, MsgID: clone(msgID)}, err}
			})
		target.stats.packet(sideSMG, dirOut, codec.KindSubmit)
		target.flush()
		return nil
	}))
	if err != nil {
		return OriginResult{}, err
	}
	select {
	case a := <-res:
		return a.r, a.err
	case <-ctx.Done():
		return OriginResult{}, ctx.Err()
	}
}
