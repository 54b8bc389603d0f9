package codegen

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/goconvex/convex/client/values"
	"github.com/goconvex/convex/funcspec"
)

// side says where a validator sits: values in arguments are written by
// the caller, values in results read from the deployment. v.any() is any
// in arguments and values.Raw in results (decode it further with
// values.Unmarshal); v.commitTs() is any in arguments (an int64 or
// values.CommitTsPlaceholder) and values.Int64 in results.
type side int

const (
	inArgs side = iota
	inResult
)

// goType returns the Go type of v, declaring the named types it needs;
// name is the name to give a type declared for v itself.
func (g *generator) goType(v *funcspec.Validator, name string, s side) string {
	switch v.Type {
	case funcspec.TypeNull:
		return "any"
	case funcspec.TypeNumber:
		return "float64"
	case funcspec.TypeBigint:
		return g.values("Int64")
	case funcspec.TypeCommitTs:
		if s == inArgs {
			return "any"
		}
		return g.values("Int64")
	case funcspec.TypeBoolean:
		return "bool"
	case funcspec.TypeString:
		return "string"
	case funcspec.TypeBytes:
		return "[]byte"
	case funcspec.TypeAny:
		return g.anyType(s)
	case funcspec.TypeLiteral:
		if t, ok := g.enumType(name, []*funcspec.Validator{v}); ok {
			return t
		}
		return g.anyType(s)
	case funcspec.TypeID:
		return g.idType(v.TableName)
	case funcspec.TypeArray:
		return "[]" + g.goType(v.Element, name+"Item", s)
	case funcspec.TypeRecord:
		return "map[" + g.keyType(v.Keys) + "]" + g.goType(v.Values, name+"Value", s)
	case funcspec.TypeObject:
		return g.structType(v, name, s)
	case funcspec.TypeUnion:
		return g.unionType(v, name, s)
	}
	return g.anyType(s)
}

func (g *generator) anyType(s side) string {
	if s == inResult {
		return g.values("Raw")
	}
	return "any"
}

// values returns the qualified name of a type of package values.
func (g *generator) values(name string) string {
	g.useValues = true
	return "values." + name
}

// keyType is a record's key type: the table's ID type for v.id keys,
// else string.
func (g *generator) keyType(v *funcspec.Validator) string {
	if v.Type == funcspec.TypeID {
		return g.idType(v.TableName)
	}
	return "string"
}

// idType declares (once) and returns the ID type of a table.
func (g *generator) idType(table string) string {
	if t, ok := g.ids[table]; ok {
		return t
	}
	t := g.names.unique(goName(table, "Table") + "ID")
	g.ids[table] = t
	g.idDecls = append(g.idDecls, fmt.Sprintf("// %s is the ID of a document in the %q table (v.id(%q)).\ntype %s string\n", t, table, table, t))
	return t
}

// nilable reports whether a Go type has nil, which encodes as null.
func nilable(t string) bool {
	return t == "any" || t == "values.Raw" || strings.HasPrefix(t, "*") ||
		strings.HasPrefix(t, "[]") || strings.HasPrefix(t, "map[")
}

// nullable is t, or a pointer to it when t has no nil for null.
func nullable(t string) string {
	if nilable(t) {
		return t
	}
	return "*" + t
}

// structType declares a struct for an object validator.
func (g *generator) structType(v *funcspec.Validator, name string, s side) string {
	for _, f := range v.Fields {
		if strings.ContainsAny(f.Name, ",") {
			// A json tag cannot name this field: keep the object untyped.
			return g.anyType(s)
		}
	}
	name = g.names.unique(name)
	slot := g.slot()
	fieldNames := nameSet{}
	var b strings.Builder
	if len(v.Fields) == 0 {
		b.WriteString("type " + name + " struct{}\n")
	} else {
		fmt.Fprintf(&b, "type %s struct {\n", name)
	}
	for _, f := range v.Fields {
		fn := fieldNames.unique(goName(f.Name, "Field"))
		t := g.goType(f.Validator, name+fn, s)
		tag := f.Name
		if f.Optional {
			if !nilable(t) {
				t = "*" + t
			}
			if strings.HasPrefix(t, "[]") || strings.HasPrefix(t, "map[") || t == "values.Raw" {
				tag += ",omitzero" // an empty list or map that is set is sent
			} else {
				tag += ",omitempty"
			}
		}
		fmt.Fprintf(&b, "\t%s %s `json:%s`\n", fn, t, strconv.Quote(tag))
	}
	if len(v.Fields) > 0 {
		b.WriteString("}\n")
	}
	doc := g.pendingDoc(name)
	if doc == "" {
		doc = fmt.Sprintf("// %s is an object in %s.\n", name, g.where)
	}
	g.fill(slot, doc+b.String())
	return name
}

// pendingDoc returns the doc comment set for the type name, or a default.
func (g *generator) pendingDoc(name string) string {
	if d, ok := g.docs[name]; ok {
		return d
	}
	return ""
}

// literalKind is the Convex type of a literal: "string", "float64",
// "boolean" or "int64"; goValue is its value as a Go constant expression
// ("" when it has none, e.g. NaN).
func literalKind(lit values.Raw) (kind, goValue string) {
	var x any
	if err := values.Unmarshal(lit, &x); err != nil {
		return "", ""
	}
	switch x := x.(type) {
	case string:
		return "string", strconv.Quote(x)
	case bool:
		return "boolean", strconv.FormatBool(x)
	case values.Int64:
		return "int64", strconv.FormatInt(int64(x), 10)
	case float64:
		if strings.HasPrefix(string(lit), "{") { // NaN, ±Inf, -0
			return "float64", ""
		}
		return "float64", strconv.FormatFloat(x, 'g', -1, 64)
	}
	return "", ""
}

// jsLiteral writes a literal as TypeScript does: a bigint as 7n.
func jsLiteral(lit values.Raw) string {
	k, val := literalKind(lit)
	switch {
	case val == "":
		return string(lit)
	case k == "int64":
		return val + "n"
	}
	return val
}

// constSuffix names a literal's constant: its text as a Go name.
func constSuffix(lit values.Raw) string {
	var x any
	_ = values.Unmarshal(lit, &x)
	switch x := x.(type) {
	case string:
		if x == "" {
			return "Empty"
		}
		return exported(x)
	case bool:
		if x {
			return "True"
		}
		return "False"
	case values.Int64:
		s := strconv.FormatInt(int64(x), 10)
		return strings.Replace(s, "-", "Minus", 1)
	case float64:
		s := strconv.FormatFloat(x, 'g', -1, 64)
		return strings.NewReplacer("-", "Minus", ".", "_", "+", "").Replace(s)
	}
	return ""
}

// enumType declares a type for literals of one kind, with a constant for
// each, and returns it; ok is false when the literals mix kinds or one has
// no Go constant. A bigint enum is an alias of values.Int64: a defined
// type would encode as a float64.
func (g *generator) enumType(name string, lits []*funcspec.Validator) (string, bool) {
	kind := ""
	for _, l := range lits {
		k, val := literalKind(l.Literal)
		if k == "" || val == "" || (kind != "" && k != kind) {
			return "", false
		}
		kind = k
	}
	base := map[string]string{"string": "string", "boolean": "bool", "float64": "float64", "int64": "values.Int64"}[kind]
	name = g.names.unique(name)
	var b strings.Builder
	b.WriteString(g.pendingDoc(name))
	if d := g.docs[name]; d == "" {
		var texts []string
		for _, l := range lits {
			texts = append(texts, jsLiteral(l.Literal))
		}
		if len(texts) == 1 {
			fmt.Fprintf(&b, "// %s is the literal %s, in %s.\n", name, texts[0], g.where)
		} else {
			fmt.Fprintf(&b, "// %s is one of the literals %s, in %s.\n", name, strings.Join(texts, ", "), g.where)
		}
	}
	if kind == "int64" {
		g.useValues = true
		fmt.Fprintf(&b, "type %s = %s\n\n", name, base)
	} else {
		fmt.Fprintf(&b, "type %s %s\n\n", name, base)
	}
	fmt.Fprintf(&b, "// The values of %s.\nconst (\n", name)
	seen := map[string]bool{}
	for _, l := range lits {
		_, val := literalKind(l.Literal)
		if seen[val] {
			continue
		}
		seen[val] = true
		fmt.Fprintf(&b, "\t%s %s = %s\n", g.names.unique(name+constSuffix(l.Literal)), name, val)
	}
	b.WriteString(")\n")
	g.decl(b.String())
	return name, true
}

// valueKind is the Convex type a member of a union accepts, which tells
// the members apart when decoding: one of "float64", "int64", "boolean",
// "string", "bytes", "array", "object"; "" for v.any() (any value).
func valueKind(v *funcspec.Validator) string {
	switch v.Type {
	case funcspec.TypeNumber:
		return "float64"
	case funcspec.TypeBigint, funcspec.TypeCommitTs:
		return "int64"
	case funcspec.TypeBoolean:
		return "boolean"
	case funcspec.TypeString, funcspec.TypeID:
		return "string"
	case funcspec.TypeBytes:
		return "bytes"
	case funcspec.TypeArray:
		return "array"
	case funcspec.TypeObject, funcspec.TypeRecord:
		return "object"
	case funcspec.TypeLiteral:
		k, _ := literalKind(v.Literal)
		return k
	}
	return ""
}

// anyGoType is the Go type that values.Unmarshal gives into an any for
// each value kind: the cases of the union decoders' type switch.
var anyGoType = map[string]string{
	"float64": "float64", "int64": "values.Int64", "boolean": "bool", "string": "string",
	"bytes": "[]byte", "array": "[]any", "object": "map[string]any",
}

// kindOrder orders a union's kinds in its decoder.
var kindOrder = []string{"boolean", "float64", "int64", "string", "bytes", "array", "object"}

// member is one field of a union type.
type member struct {
	field  string // Go field name
	goType string // the field's type, without the pointer
	kind   string // the value kind that selects it
	// disc and discValue: for objects told apart by a literal field,
	// the field's JSON name and the literal as a Go expression.
	disc, discValue, discField string
	validators                 []*funcspec.Validator
}

// flatten returns a union's members with nested unions spread out.
func flatten(v *funcspec.Validator) []*funcspec.Validator {
	var out []*funcspec.Validator
	for _, m := range v.Members {
		if m.Type == funcspec.TypeUnion {
			out = append(out, flatten(m)...)
		} else {
			out = append(out, m)
		}
	}
	return out
}

// unionType returns the Go type of a union: T | null is a nullable T,
// literals of one kind an enum, members that the Convex type of a value
// (and, for objects, a literal field they all have) tells apart a union
// type with a decoder, and other unions any (values.Raw in results).
func (g *generator) unionType(v *funcspec.Validator, name string, s side) string {
	var rest []*funcspec.Validator
	hasNull := false
	for _, m := range flatten(v) {
		if m.Type == funcspec.TypeNull {
			hasNull = true
		} else {
			rest = append(rest, m)
		}
	}
	wrap := func(t string) string {
		if hasNull {
			return nullable(t)
		}
		return t
	}
	switch len(rest) {
	case 0:
		return "any"
	case 1:
		return wrap(g.goType(rest[0], name, s))
	}
	allLiterals := true
	for _, m := range rest {
		allLiterals = allLiterals && m.Type == funcspec.TypeLiteral
	}
	if allLiterals {
		if t, ok := g.enumType(name, rest); ok {
			return wrap(t)
		}
	}
	members, ok := g.planUnion(rest, name)
	if !ok {
		return g.anyType(s)
	}
	return wrap(g.sumType(name, members, s))
}

// planUnion groups a union's members by value kind; ok is false when the
// groups cannot be told apart.
func (g *generator) planUnion(rest []*funcspec.Validator, name string) ([]member, bool) {
	byKind := map[string][]*funcspec.Validator{}
	for _, m := range rest {
		k := valueKind(m)
		if k == "" {
			return nil, false
		}
		byKind[k] = append(byKind[k], m)
	}
	var members []member
	for _, k := range kindOrder {
		vs := byKind[k]
		if len(vs) == 0 {
			continue
		}
		var plain []*funcspec.Validator
		for _, m := range vs {
			if m.Type != funcspec.TypeLiteral {
				plain = append(plain, m)
			}
		}
		switch {
		case len(vs) == 1 || len(plain) == 1 && k != "object" && k != "array":
			// One member, or one plain member that takes the literals
			// of its kind too.
			m := vs[0]
			if len(plain) == 1 {
				m = plain[0]
			}
			members = append(members, member{kind: k, validators: []*funcspec.Validator{m}})
		case len(plain) == 0:
			members = append(members, member{kind: k, validators: vs}) // an enum
		case k == "object":
			ms, ok := discriminate(vs)
			if !ok {
				return nil, false
			}
			members = append(members, ms...)
		default:
			return nil, false
		}
	}
	return members, true
}

// discriminate tells object members apart by a field that every one has,
// required, as a literal of a distinct value (the first such field by
// name), as in v.union(v.object({kind: v.literal("a"), …}), …).
func discriminate(objs []*funcspec.Validator) ([]member, bool) {
	for _, o := range objs {
		if o.Type != funcspec.TypeObject {
			return nil, false
		}
	}
	lit := func(o *funcspec.Validator, name string) values.Raw {
		for _, f := range o.Fields {
			if f.Name == name && !f.Optional && f.Validator.Type == funcspec.TypeLiteral {
				return f.Validator.Literal
			}
		}
		return nil
	}
next:
	for _, f := range objs[0].Fields {
		seen := map[string]bool{}
		for _, o := range objs {
			l := lit(o, f.Name)
			if l == nil {
				continue next
			}
			if _, val := literalKind(l); val == "" || seen[string(l)] {
				continue next
			}
			seen[string(l)] = true
		}
		var ms []member
		for _, o := range objs {
			l := lit(o, f.Name)
			_, val := literalKind(l)
			ms = append(ms, member{kind: "object", disc: f.Name, discValue: val, field: goName(constSuffix(l), ""), validators: []*funcspec.Validator{o}})
		}
		return ms, true
	}
	return nil, false
}

// kindField names a union member by its value kind.
var kindField = map[string]string{
	"float64": "Number", "int64": "Int64", "boolean": "Bool", "string": "String",
	"bytes": "Bytes", "array": "Array", "object": "Object",
}

// sumType declares a union type: a struct with a pointer field per member,
// of which exactly one is set, that encodes and decodes itself
// (values.Marshaler and values.Unmarshaler).
func (g *generator) sumType(name string, members []member, s side) string {
	g.useValues, g.useFmt = true, true
	name = g.names.unique(name)
	slot := g.slot()
	fields := nameSet{}
	for i := range members {
		m := &members[i]
		if m.field == "" {
			m.field = kindField[m.kind]
			if m.kind == "string" && m.validators[0].Type == funcspec.TypeID {
				m.field = goName(m.validators[0].TableName, "Table") + "ID"
			}
		}
		m.field = fields.unique(m.field)
		if len(m.validators) > 1 {
			m.goType, _ = g.enumType(name+m.field, m.validators)
		} else {
			m.goType = g.goType(m.validators[0], name+m.field, s)
		}
		if m.disc != "" {
			for _, f := range m.validators[0].Fields {
				if f.Name == m.disc {
					m.discField = goName(f.Name, "Field")
				}
			}
		}
	}
	var b strings.Builder
	b.WriteString(g.pendingDoc(name))
	if g.docs[name] == "" {
		fmt.Fprintf(&b, "// %s is a union in %s: exactly one of its fields is set.\n", name, g.where)
	}
	if d := members[0].disc; d != "" {
		fmt.Fprintf(&b, "// Its objects are told apart by their %q field, which MarshalConvex sets.\n", d)
	}
	fmt.Fprintf(&b, "type %s struct {\n", name)
	for _, m := range members {
		fmt.Fprintf(&b, "\t%s *%s\n", m.field, m.goType)
	}
	b.WriteString("}\n\n")

	fmt.Fprintf(&b, "// MarshalConvex encodes the member that is set (values.Marshaler).\n")
	fmt.Fprintf(&b, "func (u %s) MarshalConvex() (values.Raw, error) {\n\tn, v := 0, any(nil)\n", name)
	for _, m := range members {
		if m.disc != "" {
			// The discriminating field is set here, so callers need not.
			fmt.Fprintf(&b, "\tif u.%s != nil {\n\t\tn++\n\t\tm := *u.%s\n\t\tm.%s = %s\n\t\tv = m\n\t}\n", m.field, m.field, m.discField, m.discValue)
		} else {
			fmt.Fprintf(&b, "\tif u.%s != nil {\n\t\tn++\n\t\tv = *u.%s\n\t}\n", m.field, m.field)
		}
	}
	b.WriteString("\tif n != 1 {\n\t\treturn nil, fmt.Errorf(\"%d members set, not one\", n)\n\t}\n\treturn values.Marshal(v)\n}\n\n")

	fmt.Fprintf(&b, "// UnmarshalConvex decodes the member the value matches (values.Unmarshaler).\n")
	bind := ""
	for _, m := range members {
		if m.disc != "" {
			bind = "x := "
		}
	}
	fmt.Fprintf(&b, "func (u *%s) UnmarshalConvex(data values.Raw) error {\n\t*u = %s{}\n\tvar x any\n\tif err := values.Unmarshal(data, &x); err != nil {\n\t\treturn err\n\t}\n\tswitch %sx.(type) {\n", name, name, bind)
	byKind := map[string][]member{}
	for _, m := range members {
		byKind[m.kind] = append(byKind[m.kind], m)
	}
	decode := func(m member, indent string) {
		fmt.Fprintf(&b, "%su.%s = new(%s)\n%sreturn values.Unmarshal(data, u.%s)\n", indent, m.field, m.goType, indent, m.field)
	}
	for _, k := range kindOrder {
		ms := byKind[k]
		if len(ms) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\tcase %s:\n", anyGoType[k])
		if ms[0].disc == "" {
			decode(ms[0], "\t\t")
			continue
		}
		fmt.Fprintf(&b, "\t\tswitch x[%q] {\n", ms[0].disc)
		for _, m := range ms {
			fmt.Fprintf(&b, "\t\tcase %s:\n", literalExpr(m))
			decode(m, "\t\t\t")
		}
		b.WriteString("\t\t}\n")
	}
	b.WriteString("\t}\n\treturn fmt.Errorf(\"%s matches no member of the union\", truncate(data))\n}\n")
	g.useTruncate = true
	g.fill(slot, b.String())
	return name
}

// literalExpr is a discriminator's value as a Go expression of the type
// that values.Unmarshal gives into an any.
func literalExpr(m member) string {
	k, val := literalKind(m.validators[0].Fields[fieldIndex(m.validators[0], m.disc)].Validator.Literal)
	switch k {
	case "float64":
		return "float64(" + val + ")"
	case "int64":
		return "values.Int64(" + val + ")"
	}
	return val
}

func fieldIndex(o *funcspec.Validator, name string) int {
	return sort.Search(len(o.Fields), func(i int) bool { return o.Fields[i].Name >= name })
}
