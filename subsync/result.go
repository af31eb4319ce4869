package subsync

// result is the outcome of one push: the metric label and, for answered
// pushes, the protocol's result code.
type result uint8

const (
	resApplied          result = iota // 0: the relation changed
	resUnchanged                      // 0: it already was in that state
	resStale                          // 0: a replay, or older than the last change applied: ignored
	resUndefined                      // 1: spsmg could not process it (store unavailable, …); retry
	resUnknownCode                    // 1: Head.Code is not an operation this endpoint serves
	resBadEncryption                  // 101: Base64 / DES / padding / MD5 failed, or no key for the AppID
	resBadXML                         // 102: not the protocol's XML, or a field missing or malformed
	resUnknownOperation               // 21010104: OPType is not 1–4
	resOtherError                     // 21010105: pushed too long ago or dated in the future
	resUnknownAccount                 // 21010201: SPID names no account (or one the platform may not change)
	resBadUser                        // 21010202: Mobile is not a mobile number
	resForbiddenIP                    // HTTP 403: the client address is not the platform's
	resBodyTooLarge                   // HTTP 413
	resMethodNotAllowed               // HTTP 405
	resNotFound                       // HTTP 404: another path under /sync/
	numResults
)

var resultNames = [numResults]string{
	resApplied:          "applied",
	resUnchanged:        "unchanged",
	resStale:            "stale",
	resUndefined:        "undefined_error",
	resUnknownCode:      "unknown_code",
	resBadEncryption:    "bad_encryption",
	resBadXML:           "bad_xml",
	resUnknownOperation: "unknown_operation",
	resOtherError:       "other_error",
	resUnknownAccount:   "unknown_account",
	resBadUser:          "bad_user",
	resForbiddenIP:      "forbidden_ip",
	resBodyTooLarge:     "body_too_large",
	resMethodNotAllowed: "method_not_allowed",
	resNotFound:         "not_found",
}

// Result codes of the protocol.
const (
	CodeOK               = 0
	CodeUndefined        = 1
	CodeBadEncryption    = 101
	CodeBadXML           = 102
	CodeUnknownOperation = 21010104
	CodeOtherError       = 21010105
	CodeUnknownAccount   = 21010201
	CodeBadUser          = 21010202
)

var resultCodes = [numResults]int{
	resApplied:          CodeOK,
	resUnchanged:        CodeOK,
	resStale:            CodeOK,
	resUndefined:        CodeUndefined,
	resUnknownCode:      CodeUndefined,
	resBadEncryption:    CodeBadEncryption,
	resBadXML:           CodeBadXML,
	resUnknownOperation: CodeUnknownOperation,
	resOtherError:       CodeOtherError,
	resUnknownAccount:   CodeUnknownAccount,
	resBadUser:          CodeBadUser,
	resForbiddenIP:      -1,
	resBodyTooLarge:     -1,
	resMethodNotAllowed: -1,
	resNotFound:         -1,
}

func (r result) String() string { return resultNames[r] }

// answered reports whether the push gets the protocol's XML answer (else
// an HTTP error).
func (r result) answered() bool { return resultCodes[r] >= 0 }

// operation labels: the OPType of the push, "none" when it could not be
// read.
var opNames = [6]string{"none", "subscribe", "cancel", "pause", "resume", "unknown"}
