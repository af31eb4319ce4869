package translate

// National returns a handset number in the form the neutral values use
// between protocols: the national significant number, without a country
// code. "+8613800138000", "008613800138000" and "8613800138000" all become
// "13800138000": SGIP writes its numbers with 86 (its builder puts it back),
// SMPP senders write them international with or without "+", CMPP and SMGP
// write them national, and some SPs prefix 86 anyway; each Face's
// UserNumber writes the national form back as its protocol does. Only the Chinese
// country code of a mobile number (11 digits starting with 1) is removed;
// any other number is returned as it is, apart from a leading "+" in front
// of digits. SP access numbers are not handset numbers and are never
// passed through here (docs/translation.md §2.1).
func National(n string) string {
	s := n
	if len(s) > 1 && s[0] == '+' {
		s = s[1:]
	}
	if !digits(s) {
		return n
	}
	switch {
	case len(s) == 15 && s[:4] == "0086" && s[4] == '1':
		return s[4:]
	case len(s) == 13 && s[:2] == "86" && s[2] == '1':
		return s[2:]
	}
	return s
}

func digits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// nationals applies National to every number, copying the slice only when
// one changes.
func nationals(ns []string) []string { return mapNumbers(ns, National) }

// mapNumbers applies f to every number, copying the slice only when one
// changes.
func mapNumbers(ns []string, f func(string) string) []string {
	for i, n := range ns {
		if f(n) != n {
			out := make([]string, len(ns))
			copy(out, ns[:i])
			for j := i; j < len(ns); j++ {
				out[j] = f(ns[j])
			}
			return out
		}
	}
	return ns
}
