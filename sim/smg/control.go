package smg

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The control API lets a person (or a test) play the carrier's side of a
// flow at run time: a user texting the SP or the portal, a status report
// for an MT, and a look at the MTs the SMG received — what the user's
// phone would show. It is plain HTTP with JSON on a loopback address:
//
//	POST /mo        {"user","to","text"[,"linkid","service"]}   → 200 {"msgid","to"}
//	POST /mo        {"user","reply":true,"text"}                  the MO goes to the source of the user's last MT
//	POST /report    {"msgid"[,"stat","user","from","service"]}    → 200 {"msgid"}
//	GET  /messages  [?user=U][&last=N][&field=F]                  → 200 [{"at","account","from","to","service","linkid","text","msgid","result"}]
//
// Errors are {"error": "..."} with 400 (bad request), 404 (nothing to
// reply to, msgid unknown), 405, or 503 (stopped, backlog, no SGIP
// receiver).

// Control is the control API's HTTP server. Close it before the Server.
type Control struct {
	s   *Server
	ln  net.Listener
	srv *http.Server
}

// controlMaxBody bounds a request body; the largest is well under 1 KB.
const controlMaxBody = 64 << 10

// defaultMessages is how many MTs GET /messages shows without ?last=.
const defaultMessages = 20

// ListenControl serves the control API on addr, which must be a loopback
// address ("127.0.0.1:0" picks a port: read it with Addr). GET /messages
// needs Config.SubmitLog. Any goroutine.
func (s *Server) ListenControl(addr string) (*Control, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("smg: control address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("smg: control address %q: the control API listens on loopback only", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	c := &Control{s: s, ln: ln}
	mux := http.NewServeMux()
	mux.HandleFunc("/mo", c.mo)
	mux.HandleFunc("/report", c.report)
	mux.HandleFunc("/messages", c.messages)
	c.srv = &http.Server{Handler: loopbackOnly(mux), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := c.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("smg: control API stopped", "err", err)
		}
	}()
	s.log.Info("smg: control API listening", "addr", ln.Addr().String())
	return c, nil
}

// Addr is the address the control API listens on.
func (c *Control) Addr() string { return c.ln.Addr().String() }

// Close stops the control API, waiting up to a second for requests in
// progress.
func (c *Control) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	return c.srv.Shutdown(ctx)
}

// loopbackOnly refuses peers that are not on loopback; the listener is,
// so this only matters if someone forwards the port.
func loopbackOnly(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, _ := net.SplitHostPort(r.RemoteAddr)
		if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
			controlError(w, http.StatusForbidden, "the control API answers loopback only")
			return
		}
		h.ServeHTTP(w, r)
	})
}

type moRequest struct {
	User    string `json:"user"`
	To      string `json:"to"`
	Text    string `json:"text"`
	LinkID  string `json:"linkid"`
	Service string `json:"service"`
	Reply   bool   `json:"reply"`
}

type injected struct {
	MsgID string `json:"msgid"`
	To    string `json:"to,omitempty"`
}

// mo injects one MO. With "reply", it is addressed to the source number of
// the newest MT to the user in the submit log, as a phone's reply button
// would: the way to answer a Noti_User without reading its number.
func (c *Control) mo(w http.ResponseWriter, r *http.Request) {
	var in moRequest
	if !decodeControl(w, r, &in) {
		return
	}
	switch {
	case in.User == "":
		controlError(w, http.StatusBadRequest, "user: the sender's number is required")
		return
	case in.Reply && in.To != "":
		controlError(w, http.StatusBadRequest, "give either to or reply, not both")
		return
	case in.Reply:
		last, ok := c.s.lastMTTo(in.User)
		if !ok {
			controlError(w, http.StatusNotFound, "no MT to "+in.User+" in the submit log to reply to")
			return
		}
		in.To = last.SPNumber
	case in.To == "":
		controlError(w, http.StatusBadRequest, "to: the number the user texts (an SP access number, or the portal number + id) is required")
		return
	}
	id, err := c.s.InjectMOID(MO{User: in.User, SPNumber: in.To, Text: in.Text, LinkID: in.LinkID, ServiceCode: in.Service})
	if err != nil {
		controlError(w, injectStatus(err), err.Error())
		return
	}
	writeControl(w, http.StatusOK, injected{MsgID: hex.EncodeToString(id), To: in.To})
}

type reportRequest struct {
	MsgID   string `json:"msgid"`
	Stat    string `json:"stat"`
	User    string `json:"user"`
	From    string `json:"from"`
	Service string `json:"service"`
}

// report injects a status report for msgid. What the report names besides
// the id (recipient, source number, service, the login to deliver to)
// comes from the submit log when the MT is there, else from the request.
func (c *Control) report(w http.ResponseWriter, r *http.Request) {
	var in reportRequest
	if !decodeControl(w, r, &in) {
		return
	}
	id, err := hex.DecodeString(in.MsgID)
	if err != nil || len(id) == 0 {
		controlError(w, http.StatusBadRequest, "msgid: the MT's id in hex, as the Submit_Resp gave it, is required")
		return
	}
	if len(in.Stat) > 7 {
		controlError(w, http.StatusBadRequest, "stat: at most 7 characters (DELIVRD, UNDELIV, EXPIRED, ...)")
		return
	}
	rep := Report{MsgID: id, Stat: in.Stat, User: in.User, SPNumber: in.From, ServiceCode: in.Service}
	if si, user, ok := c.s.submitWithID(id); ok {
		rep.Account = si.Account
		if rep.User == "" {
			rep.User = user
		}
		if rep.SPNumber == "" {
			rep.SPNumber = si.SPNumber
		}
		if rep.ServiceCode == "" {
			rep.ServiceCode = si.ServiceCode
		}
	} else if rep.User == "" {
		controlError(w, http.StatusNotFound, "msgid "+in.MsgID+" is not in the submit log: give user (and from) to report on it")
		return
	}
	rid, err := c.s.InjectReport(rep)
	if err != nil {
		status := injectStatus(err)
		if status == http.StatusInternalServerError {
			status = http.StatusBadRequest // a msgid of the wrong width
		}
		controlError(w, status, err.Error())
		return
	}
	writeControl(w, http.StatusOK, injected{MsgID: hex.EncodeToString(rid)})
}

// message is one MT the SMG received, as GET /messages shows it.
type message struct {
	At      string   `json:"at"`
	Account string   `json:"account"`
	From    string   `json:"from"`
	To      []string `json:"to"`
	Service string   `json:"service"`
	LinkID  string   `json:"linkid"`
	Text    string   `json:"text"`
	MsgID   string   `json:"msgid"`
	Result  uint32   `json:"result"`
}

// messageFields are the values ?field= prints, one line per message.
var messageFields = map[string]func(m *message) string{
	"at": func(m *message) string { return m.At }, "account": func(m *message) string { return m.Account },
	"from": func(m *message) string { return m.From }, "to": func(m *message) string { return strings.Join(m.To, ",") },
	"service": func(m *message) string { return m.Service }, "linkid": func(m *message) string { return m.LinkID },
	"text": func(m *message) string { return m.Text }, "msgid": func(m *message) string { return m.MsgID },
	"result": func(m *message) string { return strconv.FormatUint(uint64(m.Result), 10) },
}

// messages lists the newest MTs of the submit log, oldest first.
func (c *Control) messages(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", "GET")
		controlError(w, http.StatusMethodNotAllowed, "use GET")
		return
	}
	if len(c.s.subs.ring) == 0 {
		controlError(w, http.StatusNotFound, "the submit log is off (Config.SubmitLog 0)")
		return
	}
	q := r.URL.Query()
	for k := range q {
		if k != "user" && k != "last" && k != "field" {
			controlError(w, http.StatusBadRequest, "unknown parameter "+strconv.Quote(k)+": user, last, field")
			return
		}
	}
	last := defaultMessages
	if v := q.Get("last"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			controlError(w, http.StatusBadRequest, "last: a positive number")
			return
		}
		last = n
	}
	field := q.Get("field")
	get, ok := messageFields[field]
	if field != "" && !ok {
		controlError(w, http.StatusBadRequest, "field: one of at, account, from, to, service, linkid, text, msgid, result")
		return
	}
	user := q.Get("user")
	var out []message
	for _, si := range c.s.Submits() {
		if user != "" && !hasUser(si.Recipients, user) {
			continue
		}
		out = append(out, message{At: si.Received.UTC().Format("2006-01-02T15:04:05.000Z"), Account: si.Account,
			From: si.SPNumber, To: si.Recipients, Service: si.ServiceCode, LinkID: si.LinkID, Text: si.Text,
			MsgID: hex.EncodeToString(si.MsgID), Result: si.Result})
	}
	out = out[max(len(out)-last, 0):]
	if field != "" {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		var b strings.Builder
		for i := range out {
			b.WriteString(get(&out[i]))
			b.WriteByte('\n')
		}
		_, _ = io.WriteString(w, b.String())
		return
	}
	if out == nil {
		out = []message{}
	}
	writeControl(w, http.StatusOK, out)
}

// lastMTTo returns the newest logged Submit with user among its recipients.
func (s *Server) lastMTTo(user string) (SubmitInfo, bool) {
	subs := s.Submits()
	for i := len(subs) - 1; i >= 0; i-- {
		if hasUser(subs[i].Recipients, user) {
			return subs[i], true
		}
	}
	return SubmitInfo{}, false
}

// submitWithID finds the logged Submit that id reports on, and the
// recipient it names: a Submit to N users was answered with ids id … id+N−1
// (CMPP, SMGP); an SGIP id is the Submit's sequence, for all of them.
func (s *Server) submitWithID(id []byte) (SubmitInfo, string, bool) {
	subs := s.Submits()
	for i := len(subs) - 1; i >= 0; i-- {
		si := subs[i]
		if len(si.MsgID) != len(id) || len(si.Recipients) == 0 {
			continue
		}
		for k := range si.Recipients {
			if bytes.Equal(s.d.AppendMsgIDAt(nil, si.MsgID, k), id) {
				return si, si.Recipients[k], true
			}
		}
	}
	return SubmitInfo{}, "", false
}

// hasUser reports whether user is among the recipients, comparing numbers
// without a leading +86 / 86 (SGIP numbers carry it, CMPP ones do not).
func hasUser(recipients []string, user string) bool {
	u := bareNumber(user)
	for _, r := range recipients {
		if bareNumber(r) == u {
			return true
		}
	}
	return false
}

func bareNumber(n string) string {
	n = strings.TrimPrefix(n, "+")
	if len(n) == 13 && strings.HasPrefix(n, "86") {
		return n[2:]
	}
	return n
}

// injectStatus is the answer to an Inject error.
func injectStatus(err error) int {
	switch {
	case errors.Is(err, ErrServerClosed), errors.Is(err, ErrBacklog), errors.Is(err, ErrNoReceiver):
		return http.StatusServiceUnavailable
	}
	return http.StatusBadRequest // the text does not encode, a field does not fit
}

// decodeControl reads a POST body of exactly one JSON object into v; on
// failure it has answered.
func decodeControl(w http.ResponseWriter, r *http.Request, v any) bool {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		controlError(w, http.StatusMethodNotAllowed, "use POST with a JSON body")
		return false
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, controlMaxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		controlError(w, http.StatusBadRequest, "body: "+err.Error())
		return false
	}
	if _, err := dec.Token(); err != io.EOF {
		controlError(w, http.StatusBadRequest, "body: one JSON object only")
		return false
	}
	return true
}

func controlError(w http.ResponseWriter, status int, msg string) {
	writeControl(w, status, struct {
		Error string `json:"error"`
	}{msg})
}

func writeControl(w http.ResponseWriter, status int, v any) {
	b, _ := json.MarshalIndent(v, "", "  ")
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
