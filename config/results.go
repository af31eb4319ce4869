package config

import (
	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/dialect"
	"github.com/spsmg/spsmg/reason"
)

// Results is the result code of each refusal, per protocol family: the
// file's results.<family>.<reason> (results.cmpp.not_subscribed: 120). Load
// merges the file's entries over each family's defaults, the table of its
// codec.Dialect (codec/*/dialect.go; the README's result-code table), so a
// loaded Config has a complete table for every family spsmg serves. An
// unknown family or reason is an error at load.
type Results map[codec.Family]ResultCodes

// ResultCodes are one family's result codes by refusal reason.
type ResultCodes map[reason.Reason]uint32

// DefaultResults are the result codes of refusals when the file does not
// override them: every Dialect family's default table.
func DefaultResults() Results {
	r := Results{}
	for _, f := range dialect.Families() {
		t, _, _ := dialect.FamilyResults(f)
		codes := ResultCodes{}
		for _, why := range reason.Refusals() {
			codes[why] = t.Result(why)
		}
		r[f] = codes
	}
	return r
}

// Table returns family f's result codes as the Dialects use them: the
// defaults of f with the file's entries over them.
func (r Results) Table(f codec.Family) codec.ResultTable {
	t, _, _ := dialect.FamilyResults(f)
	for why, code := range r[f] {
		if why.Refusal() && code != 0 {
			t[why] = code
		}
	}
	return t
}

// mergeResults puts the defaults under the file's entries.
func mergeResults(got Results) Results {
	out := DefaultResults()
	for f, codes := range got {
		if out[f] == nil {
			out[f] = ResultCodes{}
		}
		for why, code := range codes {
			out[f][why] = code
		}
	}
	return out
}
