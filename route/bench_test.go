package route

import "testing"

// BenchmarkLookup: the three carriers' default segments (73 prefixes),
// numbers in the forms the protocols carry them.
func BenchmarkLookup(b *testing.B) {
	tb := defaultTable(b)
	nums := [][]byte{[]byte("13800138000"), []byte("8613012345678"), []byte("+8618912345678"), []byte("19212345678")}
	b.ReportAllocs()
	sink := 0
	for i := 0; b.Loop(); i++ {
		sink += tb.Lookup(nums[i&3])
	}
	_ = sink
}

// BenchmarkSplit100: a Submit to 100 recipients on three carriers, split
// and joined.
func BenchmarkSplit100(b *testing.B) {
	tb := defaultTable(b)
	nums := make([][]byte, 100)
	for i := range nums {
		nums[i] = []byte([]string{"13800138000", "13012345678", "8613312345678"}[i%3])
	}
	var s Split
	var j Join
	b.ReportAllocs()
	for b.Loop() {
		tb.SplitNumbers(&s, nums)
		for g := 0; g < s.Groups(); g++ {
			s.Group(g)
		}
		j.Init(&s)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/100, "ns/recipient")
}
