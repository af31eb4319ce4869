// Package jsonclient is the merchant's side of the JSON socket protocol,
// written from the protocol's description alone — it does not use
// codec/jsonsock — so that tests of spsmg's JSON listener do not check
// the codec against itself. It sends A001 requests over short connections
// and runs the merchant's report receiver, which takes A002 pushes and
// answers B002 (or stays silent, to test resends).
//
// The frame, as the description gives it: a six-digit decimal length of
// the JSON body, left-padded with zeros ("001234"); the four-character
// Command_Id; on requests appid and appsecret, each a 15-byte string
// left-padded with '0'; then the JSON. One request per connection: the
// client writes it, the server answers and closes.
package jsonclient

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Message is one A001 message; every field is a JSON string.
type Message struct {
	Phone    string `json:"phone"`
	Message  string `json:"message"`
	SendTime string `json:"sendtime"`
	MsgID    string `json:"msgid"`
	MsgType  string `json:"msgtype"` // "1" notice, "2" verification code
}

// Report is an A002 push as the merchant reads it.
type Report struct {
	MsgID    string `json:"msgid"`
	Phone    string `json:"phone"`
	Status   string `json:"status"` // "1" success, "2" failure
	SendTime int64  `json:"sendtime"`
	Stat     string `json:"stat"`
}

// Pad writes s in a 15-byte field, left-padded with '0'.
func Pad(s string) string {
	if len(s) >= 15 {
		return s[:15]
	}
	return strings.Repeat("0", 15-len(s)) + s
}

// Request builds a request frame (A001, A002) by hand.
func Request(cmd, appID, appSecret string, body []byte) []byte {
	return append([]byte(fmt.Sprintf("%06d%s%s%s", len(body), cmd, Pad(appID), Pad(appSecret))), body...)
}

// Response builds a response frame (B001, B002) by hand.
func Response(cmd string, body []byte) []byte {
	return append([]byte(fmt.Sprintf("%06d%s", len(body), cmd)), body...)
}

// Answer is what came back on a connection.
type Answer struct {
	Command string
	Body    []byte
	// Closed: the server closed the connection after answering (as the
	// protocol says it does).
	Closed bool
}

// Status reads the answer's {"status": …}.
func (a Answer) Status() (string, error) {
	var v struct {
		Status json.RawMessage `json:"status"`
	}
	if err := json.Unmarshal(a.Body, &v); err != nil {
		return "", fmt.Errorf("answer %s %q: %w", a.Command, a.Body, err)
	}
	var s string
	if json.Unmarshal(v.Status, &s) == nil {
		return s, nil
	}
	return string(v.Status), nil
}

// ErrNoAnswer: the server closed the connection without answering.
var ErrNoAnswer = errors.New("jsonclient: connection closed without an answer")

// Exchange dials addr, writes raw (any bytes: a request, or something
// hostile), reads one response frame and then waits briefly to see whether
// the server closes.
func Exchange(ctx context.Context, addr string, raw []byte) (Answer, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return Answer{}, err
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl)
	}
	if _, err := c.Write(raw); err != nil {
		return Answer{}, err
	}
	return ReadAnswer(c)
}

// ReadAnswer reads one response frame from c, then whether c is closed.
func ReadAnswer(c net.Conn) (Answer, error) {
	br := bufio.NewReader(c)
	head := make([]byte, 10)
	if _, err := io.ReadFull(br, head); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return Answer{}, ErrNoAnswer
		}
		return Answer{}, err
	}
	n, err := strconv.Atoi(string(head[:6]))
	if err != nil || n < 0 {
		return Answer{}, fmt.Errorf("jsonclient: answer length %q", head[:6])
	}
	a := Answer{Command: string(head[6:10]), Body: make([]byte, n)}
	if _, err := io.ReadFull(br, a.Body); err != nil {
		return a, fmt.Errorf("jsonclient: answer body: %w", err)
	}
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := br.ReadByte(); errors.Is(err, io.EOF) {
		a.Closed = true
	}
	return a, nil
}

// Client sends A001 requests for one merchant account.
type Client struct {
	Addr      string
	AppID     string
	AppSecret string
}

// Send sends msgs in one A001 request (a JSON object for one message, an
// array for several) and returns the B001 status.
func (c *Client) Send(ctx context.Context, msgs ...Message) (string, Answer, error) {
	var body []byte
	var err error
	if len(msgs) == 1 {
		body, err = json.Marshal(msgs[0])
	} else {
		body, err = json.Marshal(msgs)
	}
	if err != nil {
		return "", Answer{}, err
	}
	a, err := Exchange(ctx, c.Addr, Request("A001", c.AppID, c.AppSecret, body))
	if err != nil {
		return "", a, err
	}
	if a.Command != "B001" {
		return "", a, fmt.Errorf("jsonclient: answered %q, want B001", a.Command)
	}
	st, err := a.Status()
	return st, a, err
}

// Push is one A002 request the report receiver took.
type Push struct {
	AppID, AppSecret string // the 15-byte fields as sent
	Report           Report
	Body             []byte
	At               time.Time
	Err              error // the frame or its JSON could not be read
}

// ReportServer is the merchant's report receiver on loopback.
type ReportServer struct {
	ln     net.Listener
	answer func(Push) (status string, reply bool)
	pushes chan Push
	wg     sync.WaitGroup
	mu     sync.Mutex
	conns  map[net.Conn]bool
}

// StartReportServer listens on 127.0.0.1 (a free port). answer decides
// each push's B002 status, or reply false to leave the push unanswered
// (the connection stays open until the pusher closes it). nil answers "1".
func StartReportServer(answer func(Push) (status string, reply bool)) (*ReportServer, error) {
	return StartReportServerOn("127.0.0.1:0", answer)
}

// StartReportServerOn is StartReportServer on addr (a receiver that comes
// back on the address it had).
func StartReportServerOn(addr string, answer func(Push) (status string, reply bool)) (*ReportServer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	if answer == nil {
		answer = func(Push) (string, bool) { return "1", true }
	}
	s := &ReportServer{ln: ln, answer: answer, pushes: make(chan Push, 1024), conns: map[net.Conn]bool{}}
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

// Addr is host:port to configure as the account's report address.
func (s *ReportServer) Addr() string { return s.ln.Addr().String() }

// Pushes delivers every push taken, answered or not.
func (s *ReportServer) Pushes() <-chan Push { return s.pushes }

// Close stops listening and closes open connections.
func (s *ReportServer) Close() {
	s.ln.Close()
	s.mu.Lock()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

func (s *ReportServer) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns[c] = true
		s.mu.Unlock()
		s.wg.Add(1)
		go s.serve(c)
	}
}

func (s *ReportServer) serve(c net.Conn) {
	defer s.wg.Done()
	defer func() {
		c.Close()
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
	}()
	p := Push{At: time.Now()}
	head := make([]byte, 40)
	if _, err := io.ReadFull(c, head); err != nil {
		return
	}
	n, err := strconv.Atoi(string(head[:6]))
	switch {
	case err != nil || n < 0 || n > 1<<20:
		p.Err = fmt.Errorf("length %q", head[:6])
	case string(head[6:10]) != "A002":
		p.Err = fmt.Errorf("command %q, want A002", head[6:10])
	}
	if p.Err == nil {
		p.AppID, p.AppSecret = string(head[10:25]), string(head[25:40])
		p.Body = make([]byte, n)
		if _, err := io.ReadFull(c, p.Body); err != nil {
			p.Err = err
		} else if err := json.Unmarshal(p.Body, &p.Report); err != nil {
			p.Err = err
		}
	}
	status, reply := s.answer(p)
	select {
	case s.pushes <- p:
	default:
	}
	if p.Err != nil || !reply {
		// Unanswered: hold the connection until the pusher gives up.
		io.Copy(io.Discard, c)
		return
	}
	body, _ := json.Marshal(map[string]string{"status": status})
	c.Write(Response("B002", body))
}
