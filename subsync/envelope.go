package subsync

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// The messages, as XML. A request:
//
//	<RequestInfo>
//	  <Head>
//	    <Code>ISV10101</Code>                 operation code
//	    <CTID>2026010100000001</CTID>         the platform's transaction id
//	    <AppID>PRO200805270005</AppID>        the application id the platform gave spsmg: selects the key
//	    <SubmitTime>20260101080000000</SubmitTime>  YYYYMMDDHHmmssfff, the platform's clock
//	    <Version>1</Version>
//	    <Priority>10</Priority>
//	  </Head>
//	  <Body>Base64(DES(MD5hex(change) + change))</Body>
//	</RequestInfo>
//
// The root element's name is not checked. The change, once decrypted:
//
//	<SubscriptionChange>
//	  <OPType>1</OPType>           1 subscribe, 2 cancel, 3 pause, 4 resume
//	  <SPID>900001</SPID>          the SP's code: an account's corp_id (else its login)
//	  <ServiceID>NEWS</ServiceID>  the service code
//	  <Mobile>13800138000</Mobile> the user
//	  <OPTime>20260101080000000</OPTime>  optional: when the change was made; default SubmitTime
//	  <OPNote>...</OPNote>         optional, logged at debug
//	</SubscriptionChange>
//
// The answer (ResultCode in the head is clear text, so that a platform
// whose key does not match can still read why; the body is sealed with
// the platform's key when spsmg knows it, and empty otherwise):
//
//	<ResponseInfo>
//	  <Head>
//	    <Code/><CTID/><AppID/>           echoed
//	    <STID>…</STID>                   spsmg's transaction id
//	    <RequestTime/><ResponseTime/>    YYYYMMDDHHmmssfff in node.time_zone
//	    <Version>1</Version><Priority>10</Priority>
//	    <Status>0</Status>               0 answered; -1 spsmg could not process it (result 1)
//	    <ResultCode>0</ResultCode>
//	  </Head>
//	  <Body>Base64(DES(MD5hex(result) + result))</Body>
//	</ResponseInfo>
//
// with the result <Result><ResultCode>0</ResultCode><ResultMessage>…</ResultMessage></Result>.

// CodeSubscription is the operation code of a subscription-relation
// change.
const CodeSubscription = "ISV10101"

// Request is the envelope a platform posts.
type Request struct {
	XMLName xml.Name
	Head    RequestHead `xml:"Head"`
	Body    string      `xml:"Body"`
}

// RequestHead is the request's clear-text head.
type RequestHead struct {
	Code       string `xml:"Code"`
	CTID       string `xml:"CTID"`
	AppID      string `xml:"AppID"`
	SubmitTime string `xml:"SubmitTime"`
	Version    string `xml:"Version"`
	Priority   string `xml:"Priority"`
}

// Change is the decrypted body of a CodeSubscription request.
type Change struct {
	XMLName   xml.Name
	OPType    string `xml:"OPType"`
	SPID      string `xml:"SPID"`
	ServiceID string `xml:"ServiceID"`
	Mobile    string `xml:"Mobile"`
	OPTime    string `xml:"OPTime"`
	OPNote    string `xml:"OPNote"`
}

// Response is the envelope spsmg answers with.
type Response struct {
	XMLName xml.Name     `xml:"ResponseInfo"`
	Head    ResponseHead `xml:"Head"`
	Body    string       `xml:"Body"`
}

// ResponseHead is the answer's clear-text head.
type ResponseHead struct {
	Code         string `xml:"Code"`
	CTID         string `xml:"CTID"`
	STID         string `xml:"STID"`
	AppID        string `xml:"AppID"`
	RequestTime  string `xml:"RequestTime"`
	ResponseTime string `xml:"ResponseTime"`
	Version      string `xml:"Version"`
	Priority     string `xml:"Priority"`
	Status       string `xml:"Status"`
	ResultCode   int    `xml:"ResultCode"`
}

// Result is the sealed body of an answer.
type Result struct {
	XMLName       xml.Name `xml:"Result"`
	ResultCode    int      `xml:"ResultCode"`
	ResultMessage string   `xml:"ResultMessage"`
}

// errXML marks a message that is not the XML the protocol defines
// (result 102); the text names what is wrong.
var errXML = errors.New("subsync: illegal XML")

// decodeXML reads exactly one element into v: well-formed, UTF-8, no
// DOCTYPE, nothing but white space and comments after it.
func decodeXML(data []byte, v any) error {
	if !utf8.Valid(data) {
		return fmt.Errorf("%w: not UTF-8", errXML)
	}
	if bytes.Contains(data, []byte("<!DOCTYPE")) || bytes.Contains(data, []byte("<!ENTITY")) {
		return fmt.Errorf("%w: DOCTYPE and ENTITY declarations are not allowed", errXML)
	}
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	if err := d.Decode(v); err != nil {
		if err == io.EOF {
			return fmt.Errorf("%w: empty", errXML)
		}
		return fmt.Errorf("%w: %v", errXML, err)
	}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%w: after the root element: %v", errXML, err)
		}
		switch t := tok.(type) {
		case xml.Comment, xml.ProcInst:
		case xml.CharData:
			if len(bytes.TrimSpace(t)) != 0 {
				return fmt.Errorf("%w: text after the root element", errXML)
			}
		default:
			return fmt.Errorf("%w: a second root element", errXML)
		}
	}
}

// marshalXML encodes v with the XML declaration.
func marshalXML(v any) []byte {
	b, err := xml.Marshal(v)
	if err != nil { // only the plain structs of this file are encoded
		panic(err)
	}
	return append([]byte(xml.Header), b...)
}

// requireField names a missing or oversized field of a message.
func requireField(where, name, v string, max int) error {
	switch {
	case strings.TrimSpace(v) == "":
		return fmt.Errorf("%w: %s.%s is missing", errXML, where, name)
	case len(v) > max:
		return fmt.Errorf("%w: %s.%s is %d bytes, at most %d", errXML, where, name, len(v), max)
	}
	return nil
}
