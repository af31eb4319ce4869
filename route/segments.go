package route

import "slices"

// Carriers, as the configuration names them (upstreams[].carrier).
const (
	CMCC    = "cmcc"    // China Mobile
	Unicom  = "unicom"  // China Unicom
	Telecom = "telecom" // China Telecom
)

// Carriers lists the carriers Segments knows, in a fixed order.
func Carriers() []string { return []string{CMCC, Unicom, Telecom} }

// segments are the mobile number segments each carrier was allocated, in
// national form (11-digit numbers beginning with 1), as they stand in
// 2026 by the maintainers' knowledge of the published allocations. They
// are a DEFAULT: numbering changes (new segments are allocated every few
// years), and since 2019 a subscriber may keep a number when moving to
// another carrier (number portability), so a segment names the carrier
// that issued a number, not always the one serving it. An operator who
// knows better lists prefixes under upstreams[].routes, which win over
// these (a longer prefix wins; the same prefix claimed twice is refused).
//
// Virtual operators' segments (170x, 171, 162, 165, 167) are listed
// under the carrier whose network carries them. China Broadnet's 192 and
// the 13-digit IoT segments (140–144) are in no list: such numbers take
// the default route unless configured.
var segments = map[string][]string{
	CMCC: {
		"1340-1348", // 1349 is the satellite segment, now China Telecom's
		"135", "136", "137", "138", "139",
		"147", "148",
		"150", "151", "152", "157", "158", "159",
		"165",
		"172", "178",
		"182", "183", "184", "187", "188",
		"195", "197", "198",
		"1703", "1705", "1706",
	},
	Unicom: {
		"130", "131", "132",
		"145", "146",
		"155", "156",
		"166", "167",
		"171", "175", "176",
		"185", "186",
		"196",
		"1704", "1707", "1708", "1709",
	},
	Telecom: {
		"133", "1349",
		"149",
		"153",
		"162",
		"173", "1740", "177", // 1740: satellite
		"180", "181", "189",
		"190", "191", "193", "199",
		"1700", "1701", "1702",
	},
}

// Segments returns the default segments of carrier (CMCC, Unicom,
// Telecom) as items ParsePrefixes reads (a prefix, or a range like
// "1340-1348"), or nil for a carrier it does not know. The slice is the
// caller's.
func Segments(carrier string) []string { return slices.Clone(segments[carrier]) }
