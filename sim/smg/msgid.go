package smg

import "time"

// idBlock is how many id counter values a connection takes from the
// server at a time, so that two connections on two cores do not contend
// on one atomic for every Submit.
const idBlock = 4096

// reportTime renders t as YYMMDDhhmm (CMPP Submit_time/Done_time, SMGP
// submit date/done date).
func reportTime(t time.Time) string {
	return t.Format("0601021504")
}
