package proxy

// CloseReason says why spsmg closed a connection. It is logged once with the
// peer and is the `reason` label of spsmg_connections_closed_total
// (as nats-server's ClosedState does).
type CloseReason uint8

const (
	ClosePeer             CloseReason = iota // the peer closed or reset the connection
	CloseLogout                              // logout / unbind / terminate / exit completed
	CloseLoginFailed                         // login refused (credentials, IP, version, limits)
	CloseLoginTimeout                        // no login within gateway.login_timeout
	CloseLockedOut                           // too many failed logins from this account or IP
	CloseIdle                                // nothing received within the idle timeout
	CloseActiveTestFailed                    // active tests went unanswered (CMPP/SMGP: N = 3)
	CloseProtocolError                       // bad length, unknown command, undecodable frame
	CloseSlowConsumer                        // unsent output beyond gateway.max_outbound_bytes
	CloseAccountRemoved                      // the account disappeared on reload
	CloseShutdown                            // spsmg is stopping
	CloseUpstreamLost                        // (binds) the SMG side failed
	CloseOverCapacity                        // gateway.max_connections reached
	CloseTooManyFromIP                       // gateway.max_prelogin_per_ip reached by the source address
	CloseIPNotAllowed                        // the source address is outside every allow_ips
	CloseAdmin                               // an operator closed it (admin API)
	closeReasonCount
)

var closeReasonNames = [...]string{
	ClosePeer:             "peer",
	CloseLogout:           "logout",
	CloseLoginFailed:      "login_failed",
	CloseLoginTimeout:     "login_timeout",
	CloseLockedOut:        "locked_out",
	CloseIdle:             "idle",
	CloseActiveTestFailed: "active_test_failed",
	CloseProtocolError:    "protocol_error",
	CloseSlowConsumer:     "slow_consumer",
	CloseAccountRemoved:   "account_removed",
	CloseShutdown:         "shutdown",
	CloseUpstreamLost:     "upstream_lost",
	CloseOverCapacity:     "over_capacity",
	CloseTooManyFromIP:    "too_many_from_ip",
	CloseIPNotAllowed:     "ip_not_allowed",
	CloseAdmin:            "admin",
}

func (r CloseReason) String() string {
	if int(r) < len(closeReasonNames) {
		return closeReasonNames[r]
	}
	return "unknown"
}
