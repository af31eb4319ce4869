package redisstore

import (
	"bytes"
	"strconv"
	"strings"
)

// Key layout (docs/cluster.md). Every store key lives in one of Partitions
// partitions, chosen by a hash of the key; a partition is one hash tag, so
// all its records and its change stream share one cluster slot:
//
//	<prefix>d{<tag>}<store key>   a record (a string, with EXPIREAT)
//	<prefix>c{<tag>}              the partition's change stream
//	<prefix>n{<tag>}              the sequence number of its last entry
//
// One slot per partition is what lets a single Lua script write a chunk
// of records and append their change entry atomically, so that the stream
// never disagrees with the records about the order of writes to a key.
// The tags are chosen so that partition p's slot lies in the p-th
// sixteenth of the slot space: with the equal contiguous ranges that
// cluster creation assigns, the partitions spread evenly over the masters
// (16 over 3 masters: 6, 5, 5).
//
// The partition count is part of the layout: changing it moves every key.
const Partitions = 16

// SlotCount is the number of hash slots of a Redis Cluster.
const SlotCount = 16384

// partitionTag[p] is the hash tag of partition p; partitionSlot[p] its slot.
var partitionTag, partitionSlot = makePartitionTags()

// makePartitionTags finds, for each partition, the smallest decimal tag
// whose slot lies in the partition's share of the slot space.
func makePartitionTags() (tags [Partitions]string, slots [Partitions]int) {
	found := 0
	for n := 0; found < Partitions; n++ {
		tag := strconv.Itoa(n)
		s := Slot(tag)
		p := s * Partitions / SlotCount
		if tags[p] == "" {
			tags[p], slots[p] = tag, s
			found++
		}
	}
	return tags, slots
}

// partitionOf spreads keys over the partitions (FNV-1a: stable across
// processes and versions, which the layout requires).
func partitionOf(key []byte) int {
	h := uint32(2166136261)
	for _, c := range key {
		h ^= uint32(c)
		h *= 16777619
	}
	return int(h % Partitions)
}

// recordKey returns the Redis key of a store key.
func (s *Store) recordKey(p int, key []byte) string {
	var b strings.Builder
	b.Grow(len(s.prefix) + len(partitionTag[p]) + 3 + len(key))
	b.WriteString(s.prefix)
	b.WriteString("d{")
	b.WriteString(partitionTag[p])
	b.WriteByte('}')
	b.Write(key)
	return b.String()
}

// streamKey returns the Redis key of partition p's change stream.
func (s *Store) streamKey(p int) string {
	return s.prefix + "c{" + partitionTag[p] + "}"
}

// seqKey returns the Redis key of partition p's change sequence number.
func (s *Store) seqKey(p int) string {
	return s.prefix + "n{" + partitionTag[p] + "}"
}

// storeKey parses a Redis record key back into its partition and store key.
func (s *Store) storeKey(redisKey string) (p int, key string, ok bool) {
	rest, ok := strings.CutPrefix(redisKey, s.prefix+"d{")
	if !ok {
		return 0, "", false
	}
	tag, key, ok := strings.Cut(rest, "}")
	if !ok {
		return 0, "", false
	}
	for p := range partitionTag {
		if partitionTag[p] == tag {
			return p, key, true
		}
	}
	return 0, "", false
}

// scanPattern returns the SCAN MATCH pattern of the record keys with the
// store-key prefix (SCAN's glob metacharacters escaped).
func (s *Store) scanPattern(prefix []byte) string {
	var b strings.Builder
	globEscape(&b, []byte(s.prefix))
	b.WriteString("d{*}")
	globEscape(&b, prefix)
	b.WriteByte('*')
	return b.String()
}

func globEscape(b *strings.Builder, s []byte) {
	for _, c := range s {
		if bytes.IndexByte([]byte(`*?[]\`), c) >= 0 {
			b.WriteByte('\\')
		}
		b.WriteByte(c)
	}
}

// Slot returns the cluster hash slot of a Redis key: CRC16 (XMODEM) of the
// key, or of its hash tag — the bytes between the first '{' and the first
// '}' after it, when that is not empty — modulo 16384.
func Slot(key string) int {
	if i := strings.IndexByte(key, '{'); i >= 0 {
		if j := strings.IndexByte(key[i+1:], '}'); j > 0 {
			key = key[i+1 : i+1+j]
		}
	}
	return int(crc16(key) % SlotCount)
}

// crc16 is CRC-16/XMODEM (polynomial 0x1021, initial value 0), the
// checksum Redis Cluster hashes keys with.
func crc16(s string) uint16 {
	var crc uint16
	for i := 0; i < len(s); i++ {
		crc ^= uint16(s[i]) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}
