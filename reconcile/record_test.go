package reconcile

import "testing"

func TestCheckRecord(t *testing.T) {
	good := encode(counts{"mt_submitted": 3, "reports_delivered": 1})
	for _, sp := range []string{"sp1", "a/b", "/"} {
		if kind, err := CheckRecord(recordKey("20261204", sp), good); err != nil || kind != "reconciliation_day" {
			t.Errorf("sp %q: %q, %v", sp, kind, err)
		}
	}
	for _, c := range []struct {
		key, value []byte
	}{
		{[]byte("rc/2026120/sp1"), good},                                         // day of 7 digits
		{[]byte("rc/20261304/sp1"), good},                                        // no 13th month
		{[]byte("rc/20261204/"), good},                                           // no SP
		{[]byte("rc/20261204sp1"), good},                                         // no separator
		{[]byte("rc/"), good},                                                    // nothing
		{recordKey("20261204", "sp1"), nil},                                      // no value
		{recordKey("20261204", "sp1"), []byte{9}},                                // unknown version
		{recordKey("20261204", "sp1"), append(good[:len(good):len(good)], 0x80)}, // cut uvarint
	} {
		if _, err := CheckRecord(c.key, c.value); err == nil {
			t.Errorf("%q = %x accepted", c.key, c.value)
		}
	}
}
