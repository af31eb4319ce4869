package config

import (
	"encoding"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"gopkg.in/yaml.v3"
)

// decoder fills a value from a YAML node tree by walking the tree against
// the value's type, so that it can go on after a mistake and report every
// one with its YAML path: unknown keys (with the nearest known key), values
// of the wrong kind in words an operator reads (`"fast" is not a number`,
// `10 is not a duration (write 10s)`), keys given twice. yaml.v3's own
// decoder stops at the first unknown key and names Go types.
//
// It is generic over the Config structs: a field is found by its yaml tag,
// and a type that reads itself (yaml.Unmarshaler, encoding.TextUnmarshaler:
// netip types) is handed its node, its error prefixed with the path; the
// names of protocols, families and refusal reasons are read into their
// codec types (protocol.go). New keys need nothing here. Reflection is fine: a file is read at
// start and on SIGHUP.
type decoder struct {
	problems []Problem
	// at is where each path's value starts in the file, for placing
	// problems that Validate finds later.
	at map[string]*yaml.Node
	// failed holds the paths whose value could not be read; Validate's
	// complaints about them (the zero value left behind) are noise.
	failed map[string]bool
	// inAlias counts the aliases being expanded around the current node;
	// aliasBudget bounds the values read through them, for a small file
	// can expand to millions of values (nodes outside aliases are bounded
	// by the file's size).
	inAlias     int
	aliasBudget int
	// expanding holds the anchors being expanded, to refuse an alias
	// inside its own anchor (&a {<<: *a}).
	expanding map[*yaml.Node]bool
}

// maxAliasValues bounds the values one file may read through aliases:
// sharing a list of 16 addresses among 8,000 accounts fits.
const maxAliasValues = 1 << 17

func newDecoder() *decoder {
	return &decoder{at: map[string]*yaml.Node{}, failed: map[string]bool{}, aliasBudget: maxAliasValues,
		expanding: map[*yaml.Node]bool{}}
}

func (d *decoder) problem(n *yaml.Node, path, format string, args ...any) {
	p := Problem{Path: path, Message: fmt.Sprintf(format, args...)}
	if n != nil {
		p.Line, p.Column = n.Line, n.Column
	}
	d.problems = append(d.problems, p)
}

// typeError is a value that cannot be read into its field.
func (d *decoder) typeError(n *yaml.Node, path, format string, args ...any) {
	d.failed[path] = true
	d.problem(n, path, format, args...)
}

var (
	durationType        = reflect.TypeFor[time.Duration]()
	yamlUnmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// decode reads n into v (settable). path names v in problems.
func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string) {
	if d.inAlias > 0 {
		if d.aliasBudget--; d.aliasBudget < 0 {
			if d.aliasBudget == -1 {
				d.failed[path] = true
				d.problem(n, path, "the file expands to more than %d values through aliases", maxAliasValues)
			}
			return
		}
	}
	if _, seen := d.at[path]; !seen && path != "" {
		d.at[path] = n // where it is used, for an alias
	}
	if n.Kind == yaml.AliasNode {
		if !d.enterAlias(n, path) {
			return
		}
		defer d.leaveAlias(n)
		n = n.Alias
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		v.Set(reflect.Zero(v.Type())) // `key:` or `key: ~` leaves the default
		return
	}
	t := v.Type()
	if t.Kind() == reflect.Pointer {
		if v.IsNil() {
			v.Set(reflect.New(t.Elem()))
		}
		d.decode(n, v.Elem(), path)
		return
	}
	if reflect.PointerTo(t).Implements(yamlUnmarshalerType) {
		p := reflect.New(t)
		p.Elem().Set(v)
		if err := n.Decode(p.Interface()); err != nil {
			d.typeError(n, path, "%s", yamlErrorText(err))
			return
		}
		v.Set(p.Elem())
		return
	}
	if reflect.PointerTo(t).Implements(textUnmarshalerType) {
		if n.Kind != yaml.ScalarNode {
			d.typeError(n, path, "want a single value, not %s", kindWords(n))
			return
		}
		p := reflect.New(t)
		if err := p.Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(n.Value)); err != nil {
			d.typeError(n, path, "%s", err.Error())
			return
		}
		v.Set(p.Elem())
		return
	}
	if t == durationType {
		d.duration(n, v, path)
		return
	}
	if d.named(n, v, path) {
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		d.mapping(n, v, path, structKeys(t))
	case reflect.Map:
		d.mapping(n, v, path, nil)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.typeError(n, path, "want a list, not %s", kindWords(n))
			return
		}
		s := reflect.MakeSlice(t, len(n.Content), len(n.Content))
		for i, item := range n.Content {
			if d.aliasBudget < 0 {
				break
			}
			d.decode(item, s.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
		v.Set(s)
	default:
		d.scalar(n, v, path)
	}
}

// mapping reads a mapping node into a struct (keys: its yaml fields) or
// a map (keys: anything). Merge keys (<<: *base) are applied first, so
// that the keys written beside them win.
func (d *decoder) mapping(n *yaml.Node, v reflect.Value, path string, keys *fieldKeys) {
	if n.Kind != yaml.MappingNode {
		d.typeError(n, path, "want a mapping of keys, not %s", kindWords(n))
		return
	}
	if v.Kind() == reflect.Map && v.IsNil() {
		v.Set(reflect.MakeMap(v.Type()))
	}
	join := func(key string) string {
		if path == "" {
			return key
		}
		return path + "." + key
	}
	first := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if isMergeKey(k) {
			d.merge(val, v, path, keys)
			continue
		}
		if k.Kind != yaml.ScalarNode {
			d.problem(k, path, "a key must be a plain name, not %s", kindWords(k))
			continue
		}
		name := k.Value
		if f, dup := first[name]; dup {
			d.problem(k, join(name), "given twice (first on line %d)", f.Line)
			continue
		}
		first[name] = k
		if _, seen := d.at[join(name)]; !seen {
			d.at[join(name)] = k // a problem with the value points at its key
		}
		if keys == nil { // a map: every key goes
			key := reflect.New(v.Type().Key()).Elem()
			d.decode(k, key, join(name))
			if d.failed[join(name)] {
				continue
			}
			elem := reflect.New(v.Type().Elem()).Elem()
			d.decode(val, elem, join(name))
			v.SetMapIndex(key, elem)
			continue
		}
		idx, ok := keys.index[name]
		if !ok {
			if s := suggest(name, keys.names); s != "" {
				d.problem(k, join(name), "unknown key (did you mean %s?)", s)
			} else {
				d.problem(k, join(name), "unknown key (known: %s)", strings.Join(keys.names, ", "))
			}
			continue
		}
		d.decode(val, v.FieldByIndex(idx), join(name))
	}
}

// merge applies the value of a << key: one mapping or a list of them.
func (d *decoder) merge(n *yaml.Node, v reflect.Value, path string, keys *fieldKeys) {
	if n.Kind == yaml.AliasNode {
		if !d.enterAlias(n, path) {
			return
		}
		defer d.leaveAlias(n)
		n = n.Alias
	}
	if n.Kind == yaml.SequenceNode {
		for _, m := range n.Content {
			d.merge(m, v, path, keys)
		}
		return
	}
	d.mapping(n, v, path, keys)
}

func (d *decoder) enterAlias(n *yaml.Node, path string) bool {
	if n.Alias == nil {
		return false
	}
	if d.expanding[n.Alias] {
		d.typeError(n, path, "alias *%s is inside its own anchor", n.Value)
		return false
	}
	d.expanding[n.Alias] = true
	d.inAlias++
	return true
}

func (d *decoder) leaveAlias(n *yaml.Node) {
	delete(d.expanding, n.Alias)
	d.inAlias--
}

func isMergeKey(k *yaml.Node) bool {
	return k.Kind == yaml.ScalarNode && k.Value == "<<" && (k.Tag == "" || k.Tag == "!" || k.ShortTag() == "!!merge")
}

// scalar reads a string, number or boolean, resolved the way yaml.v3
// resolves it, phrasing a mismatch for the operator.
func (d *decoder) scalar(n *yaml.Node, v reflect.Value, path string) {
	t := v.Type()
	want := map[reflect.Kind]string{reflect.String: "a string", reflect.Bool: "true or false",
		reflect.Float32: "a number", reflect.Float64: "a number"}[t.Kind()]
	if want == "" {
		want = "a number"
	}
	if n.Kind != yaml.ScalarNode {
		d.typeError(n, path, "want %s, not %s", want, kindWords(n))
		return
	}
	if t.Kind() == reflect.String {
		v.SetString(n.Value) // what yaml.v3 does: 901234 is the string "901234"
		return
	}
	var resolved any
	if err := n.Decode(&resolved); err != nil {
		d.typeError(n, path, "%s", yamlErrorText(err))
		return
	}
	quoted := n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0
	switch t.Kind() {
	case reflect.Bool:
		tmp := reflect.New(t)
		if err := n.Decode(tmp.Interface()); err != nil {
			d.typeError(n, path, "%s is not true or false", show(n))
			return
		}
		v.Set(tmp.Elem())
		return
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		lo, hi := intRange(t)
		switch x := resolved.(type) {
		case int:
			if int64(x) >= lo && int64(x) <= hi {
				v.SetInt(int64(x))
				return
			}
			d.typeError(n, path, "%s is outside %d–%d", n.Value, lo, hi)
			return
		case uint64: // above MaxInt64
			d.typeError(n, path, "%s is outside %d–%d", n.Value, lo, hi)
			return
		case float64:
			d.typeError(n, path, "%s is not a whole number", n.Value)
			return
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		hi := uint64(math.MaxUint64) >> (64 - t.Bits())
		switch x := resolved.(type) {
		case int:
			if x >= 0 && uint64(x) <= hi {
				v.SetUint(uint64(x))
				return
			}
			d.typeError(n, path, "%s is outside 0–%d", n.Value, hi)
			return
		case uint64:
			if x <= hi {
				v.SetUint(x)
				return
			}
			d.typeError(n, path, "%s is outside 0–%d", n.Value, hi)
			return
		case float64:
			d.typeError(n, path, "%s is not a whole number", n.Value)
			return
		}
	case reflect.Float32, reflect.Float64:
		switch x := resolved.(type) {
		case int:
			v.SetFloat(float64(x))
			return
		case uint64:
			v.SetFloat(float64(x))
			return
		case float64:
			v.SetFloat(x)
			return
		}
	default:
		tmp := reflect.New(t)
		if err := n.Decode(tmp.Interface()); err != nil {
			d.typeError(n, path, "%s", yamlErrorText(err))
			return
		}
		v.Set(tmp.Elem())
		return
	}
	if _, err := strconv.ParseFloat(n.Value, 64); err == nil && quoted {
		d.typeError(n, path, "%s is a string, not a number (drop the quotes)", show(n))
		return
	}
	d.typeError(n, path, "%s is not a number", show(n))
}

// duration reads Go duration syntax (90s, 5m, 1h30m). yaml.v3 refuses a
// bare number for a duration, as we do: 10 could mean seconds or
// nanoseconds.
func (d *decoder) duration(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.ScalarNode {
		d.typeError(n, path, "want a duration (e.g. 10s, 500ms, 5m), not %s", kindWords(n))
		return
	}
	switch n.ShortTag() {
	case "!!int", "!!float":
		if n.Value == "0" {
			v.SetInt(0)
			return
		}
		d.typeError(n, path, "%s is not a duration (write %ss)", n.Value, n.Value)
		return
	}
	dur, err := time.ParseDuration(n.Value)
	if err != nil {
		d.typeError(n, path, "%s is not a duration (e.g. 10s, 500ms, 5m, 1h30m)", show(n))
		return
	}
	v.SetInt(int64(dur))
}

// show prints a scalar as the operator wrote it: strings quoted, numbers
// and booleans bare.
func show(n *yaml.Node) string {
	if n.ShortTag() == "!!str" {
		return strconv.Quote(n.Value)
	}
	return n.Value
}

// kindWords describes a node that is not the kind a key wants.
func kindWords(n *yaml.Node) string {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	return show(n)
}

func intRange(t reflect.Type) (lo, hi int64) {
	hi = int64(uint64(math.MaxUint64) >> (65 - t.Bits()))
	return -hi - 1, hi
}

// yamlErrorText strips yaml.v3's framing ("yaml: unmarshal errors:\n  line
// 3: ") from an error a custom unmarshaller returned.
func yamlErrorText(err error) string {
	s := err.Error()
	s = strings.TrimPrefix(s, "yaml: unmarshal errors:\n")
	s = strings.TrimSpace(strings.TrimPrefix(s, "yaml: "))
	if strings.HasPrefix(s, "line ") {
		if i := strings.Index(s, ": "); i > 0 {
			s = s[i+2:]
		}
	}
	return s
}

// fieldKeys are the YAML keys of a struct type.
type fieldKeys struct {
	index map[string][]int // key → field index (through inlined structs)
	names []string         // in declaration order, for suggestions
}

var structKeysCache sync.Map // reflect.Type → *fieldKeys

// structKeys reads the yaml tags of t the way yaml.v3 does: the tag's
// name, else the lower-cased field name; "-" skips the field; ",inline"
// lifts the keys of an embedded struct.
func structKeys(t reflect.Type) *fieldKeys {
	if k, ok := structKeysCache.Load(t); ok {
		return k.(*fieldKeys)
	}
	k := &fieldKeys{index: map[string][]int{}}
	var walk func(t reflect.Type, prefix []int)
	walk = func(t reflect.Type, prefix []int) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			tag := f.Tag.Get("yaml")
			if tag == "-" {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			idx := append(slices.Clip(prefix), i)
			if slices.Contains(strings.Split(opts, ","), "inline") && f.Type.Kind() == reflect.Struct {
				walk(f.Type, idx)
				continue
			}
			if name == "" {
				name = strings.ToLower(f.Name)
			}
			k.index[name] = idx
			k.names = append(k.names, name)
		}
	}
	walk(t, nil)
	structKeysCache.Store(t, k)
	return k
}
