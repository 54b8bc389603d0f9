//go:build !convex_omitreflect

package values

import (
	"cmp"
	"reflect"
	"slices"
	"strings"
)

// field is one encoded field of a struct type.
type field struct {
	name      string
	quoted    []byte // `"name":`
	index     []int  // path through embedded structs, for reflect
	typ       reflect.Type
	tagged    bool // the name comes from a json tag
	omitEmpty bool
	omitZero  bool
	depth     int // embedding depth
}

// structFields describes how a struct type maps to a Convex object.
type structFields struct {
	list    []field           // in encoding order (compareKeys)
	byName  map[string]*field // exact names
	byFold  map[string]*field // ASCII-lowercased names
	nameErr string            // the first invalid field name's problem, or ""
}

// typeFields computes the fields of struct type t as encoding/json sees
// them: exported fields and the fields of embedded structs, named by their
// json tags, with a shallower field hiding deeper ones of the same name, a
// tagged field beating untagged ones at the same depth, and otherwise
// ambiguous names dropped.
func typeFields(t reflect.Type) *structFields {
	type embedded struct {
		typ   reflect.Type
		index []int
	}
	var all []field
	level := []embedded{{typ: t}}
	visited := map[reflect.Type]bool{}
	for depth := 0; len(level) > 0; depth++ {
		// A type embedded twice at one depth contributes each of its
		// fields twice, so that they cancel out as ambiguous.
		count := map[reflect.Type]int{}
		for _, e := range level {
			count[e.typ]++
		}
		var next []embedded
		for _, e := range level {
			if visited[e.typ] {
				continue
			}
			visited[e.typ] = true
			for i := 0; i < e.typ.NumField(); i++ {
				sf := e.typ.Field(i)
				if sf.Anonymous {
					ft := sf.Type
					if ft.Kind() == reflect.Pointer {
						ft = ft.Elem()
					}
					if !sf.IsExported() && ft.Kind() != reflect.Struct {
						continue
					}
				} else if !sf.IsExported() {
					continue
				}
				tag := sf.Tag.Get("json")
				if tag == "-" {
					continue
				}
				name, opts, _ := strings.Cut(tag, ",")
				index := append(slices.Clip(e.index), i)
				ft := sf.Type
				if ft.Name() == "" && ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if name == "" && sf.Anonymous && ft.Kind() == reflect.Struct {
					next = append(next, embedded{typ: ft, index: index})
					continue
				}
				f := field{
					name:      name,
					index:     index,
					typ:       sf.Type,
					tagged:    name != "",
					omitEmpty: hasOption(opts, "omitempty"),
					omitZero:  hasOption(opts, "omitzero"),
					depth:     depth,
				}
				if f.name == "" {
					f.name = sf.Name
				}
				all = append(all, f)
				if count[e.typ] > 1 {
					all = append(all, f)
				}
			}
		}
		level = next
	}

	// Keep, for each name, the dominant field, if there is one.
	slices.SortStableFunc(all, func(a, b field) int {
		return cmp.Or(
			strings.Compare(a.name, b.name),
			cmp.Compare(a.depth, b.depth),
			compareBool(b.tagged, a.tagged), // tagged first
		)
	})
	fs := &structFields{
		byName: map[string]*field{},
		byFold: map[string]*field{},
	}
	for i := 0; i < len(all); {
		j := i + 1
		for j < len(all) && all[j].name == all[i].name {
			j++
		}
		group := all[i:j]
		i = j
		if len(group) > 1 && group[1].depth == group[0].depth && group[1].tagged == group[0].tagged {
			continue // ambiguous
		}
		fs.list = append(fs.list, group[0])
	}
	slices.SortFunc(fs.list, func(a, b field) int { return compareKeys(a.name, b.name) })
	for i := range fs.list {
		f := &fs.list[i]
		if err := checkFieldName(f.name); err != nil && fs.nameErr == "" {
			fs.nameErr = err.Msg
		}
		f.quoted = append(appendString(nil, f.name), ':')
		fs.byName[f.name] = f
	}
	// Case-insensitive matches prefer the field that comes first in the
	// struct, as in encoding/json.
	byIndex := make([]*field, len(fs.list))
	for i := range fs.list {
		byIndex[i] = &fs.list[i]
	}
	slices.SortFunc(byIndex, func(a, b *field) int { return slices.Compare(a.index, b.index) })
	for _, f := range byIndex {
		k := asciiLower(f.name)
		if _, ok := fs.byFold[k]; !ok {
			fs.byFold[k] = f
		}
	}
	return fs
}

func compareBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

func hasOption(opts, name string) bool {
	for opts != "" {
		var o string
		o, opts, _ = strings.Cut(opts, ",")
		if o == name {
			return true
		}
	}
	return false
}

// asciiLower lowercases the ASCII letters of s.
func asciiLower[T string | []byte](s T) string {
	b := make([]byte, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b[i] = c
	}
	return string(b)
}

// lookup finds the field for key: an exact match, else a case-insensitive
// one.
func (fs *structFields) lookup(key []byte) *field {
	if f, ok := fs.byName[string(key)]; ok {
		return f
	}
	var lower [64]byte
	if len(key) <= len(lower) {
		for i, c := range key {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			lower[i] = c
		}
		return fs.byFold[string(lower[:len(key)])]
	}
	return fs.byFold[asciiLower(key)]
}
