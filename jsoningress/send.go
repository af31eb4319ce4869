package jsoningress

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/spsmg/spsmg/authcache"
	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/jsonsock"
	"github.com/spsmg/spsmg/config"
	"github.com/spsmg/spsmg/proxy"
	"github.com/spsmg/spsmg/reason"
	"github.com/spsmg/spsmg/translate"
)

// Priorities of the Submits: a verification code is waited for by a user
// at a screen; a notice is not.
const (
	priorityNotice = 1
	priorityCode   = 3 // the highest every protocol has (SMGP's 0–3)
)

// send sends one message of an A001 request and says what became of it:
//
//  1. its text encoded for the upstream (ASCII, else UCS2 or GB) and, when
//     longer than one short message, split into parts with a
//     concatenation header (translate.Message);
//  2. decided as an MT of the account: its limits and the authorization
//     rules, exactly as an SP's Submit (Gateway.AdmitMT);
//  3. when the account has a report_addr, its record (merchant msgid,
//     phone, parts) written and durable before anything is sent, so that
//     every report finds it;
//  4. each part sent (Gateway.SubmitMT) with the message key and the part
//     number as its report route's origin; a notice whose part the carrier
//     fails (busy, throttled, no answer, no bind) is tried again up to
//     three times, json.retry_interval apart, each time decided again; a
//     verification code is never tried again (a late or second code is
//     worse than none).
//
// Status 1 when the carrier took every part; otherwise the first failure:
// 3 when it may pass later, 2 when it would not.
func (s *Server) send(ctx context.Context, a *account, m *jsonsock.Message, now time.Time) result {
	res := result{MsgID: m.MsgID}
	code := m.MsgType == jsonsock.MsgTypeVerification
	ja := a.JSON
	svc, prio := ja.ServiceCode, uint8(priorityNotice)
	if code {
		svc, prio = ja.CodeServiceCode, priorityCode
	}
	phone := translate.National(m.Phone)
	needReport := ja.ReportAddr != ""
	// The upstream the recipient routes to (routing:, by prefix), and
	// the message written in its protocol.
	upIdx := s.gw.RouteMT(phone)
	up := s.upstream(upIdx)
	base := codec.Submit{SPNumber: ja.SPNumber, Dests: []string{up.d.UserNumber(phone)}, ServiceCode: svc,
		CorpID: a.CorpID, Fee: codec.Fee{Payer: codec.PayerSP}, NeedReport: needReport, Priority: prio}
	parts, err := translate.Message(base, m.Message, ja.Coding == config.JSONCodingGBK, up.caps, uint8(s.ref.Add(1)))
	if err != nil {
		s.gw.RefuseMT(a.ID, reason.Malformed, 1)
		res.Status, res.Reason = statusFailed, whyTooLong
		return res
	}
	mt := authcache.MT{SP: a.ID, SPNumber: []byte(ja.SPNumber), ServiceCode: []byte(svc), Dests: [][]byte{[]byte(phone)}}
	d := s.gw.AdmitMT(ctx, &mt, len(parts))
	if !d.Allow {
		return refused(res, d.Reason)
	}
	var key []byte
	if needReport {
		key = newMessageKey()
		rec := message{Account: a.ID, MsgID: m.MsgID, Phone: m.Phone, SentMS: now.UnixMilli(), Parts: len(parts)}
		set := s.set.Load()
		if err := s.persist(ctx, authcache.Mutation{Key: msgKey(key), Value: rec.encode(), ExpiresAt: now.Unix() + set.routeTTL}); err != nil {
			s.logRL(slog.LevelError, "json listener: message record not written; message answered 3 (send it again)", "account", a.ID, "err", err)
			s.gw.RefuseMT(a.ID, reason.StoreUnavailable, len(parts))
			return refused(res, reason.StoreUnavailable)
		}
	}
	for i := range parts {
		var origin []byte
		if key != nil {
			origin = append(append(make([]byte, 0, msgKeyLen+1), key...), byte(i+1))
		}
		if r := s.sendPart(ctx, a, d.Reason, upIdx, &parts[i], origin, code, &mt); r.Status != statusOK {
			if key != nil {
				// Not sent in full: its reports (of the parts sent) have
				// nothing to tell the merchant, whose B001 says so.
				_ = s.st.Persist(nil, authcache.Mutation{Key: msgKey(key), Delete: true})
			}
			r.MsgID = m.MsgID
			return r
		}
	}
	res.Status = statusOK
	return res
}

// sendPart sends one part, trying a notice again when the carrier fails it.
func (s *Server) sendPart(ctx context.Context, a *account, allow reason.Reason, upIdx int, p *codec.Submit, origin []byte, code bool, mt *authcache.MT) result {
	interval := s.set.Load().ing.RetryInterval
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			s.m.retries.WithLabelValues(a.ID).Inc()
			t := time.NewTimer(interval)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return result{Status: statusRetry, Reason: whyShutdown}
			}
			d := s.gw.AdmitMT(ctx, mt, 1)
			if !d.Allow {
				return refused(result{}, d.Reason)
			}
			allow = d.Reason
		}
		r, err := s.gw.SubmitMT(ctx, a.ID, allow, upIdx, p, origin)
		var out result
		switch {
		case err == nil && r.Result == 0:
			return result{Status: statusOK}
		case err == nil:
			cls := s.upstream(upIdx).face.ResultClass(r.Result)
			out.Reason = "carrier_" + cls.String()
			out.Status = statusFailed
			if cls.Retryable() {
				out.Status = statusRetry
			}
		case errors.Is(err, proxy.ErrUpstreamTimeout):
			out = refused(out, reason.UpstreamTimeout)
		case ctx.Err() != nil:
			return result{Status: statusRetry, Reason: whyShutdown}
		default: // no bind could take it
			out = refused(out, reason.UpstreamUnavailable)
		}
		if code || out.Status != statusRetry || attempt >= config.JSONNoticeRetries {
			return out
		}
	}
}

// refused is r with the status and reason of a decision's refusal.
func refused(r result, why reason.Reason) result {
	r.Status, r.Reason = statusFailed, why.String()
	if why.Retryable() {
		r.Status = statusRetry
	}
	return r
}
