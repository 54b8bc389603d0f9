package values

// Validate reports whether data is one valid Convex JSON value, optionally
// surrounded by whitespace. It accepts exactly what Unmarshal into an any
// accepts, and its *Error names the problem.
func Validate(data []byte) (err error) {
	defer catchPanic(&err)
	d := getDecoder(data)
	defer putDecoder(d)
	if err := d.validateTop(0); err != nil {
		return err
	}
	return nil
}

// validateTop validates all of d.data as one value whose container
// nesting starts at depth.
func (d *decoder) validateTop(depth int) *Error {
	if err := d.skipValue(depth, false); err != nil {
		return err
	}
	return d.end()
}

// end checks that only whitespace follows the value.
func (d *decoder) end() *Error {
	d.skipWS()
	if d.pos < len(d.data) {
		return d.syntaxError("after top-level value")
	}
	return nil
}

// skipValue consumes and validates one value at container nesting depth.
// With lax, it checks only JSON syntax (and nesting, to bound recursion):
// it skips the values of special keys that JSON.parse would discard.
func (d *decoder) skipValue(depth int, lax bool) *Error {
	d.skipWS()
	if d.pos >= len(d.data) {
		return d.syntaxError("")
	}
	switch c := d.data[d.pos]; c {
	case '"':
		_, err := d.readString()
		return err
	case '{':
		return d.skipObject(depth, lax)
	case '[':
		return d.skipArray(depth, lax)
	case 't':
		return d.literal("true")
	case 'f':
		return d.literal("false")
	case 'n':
		return d.literal("null")
	default:
		_, _, _, _, err := d.scanNumber()
		return err
	}
}

func (d *decoder) skipObject(depth int, lax bool) *Error {
	key, more, err := d.firstKey()
	if err != nil {
		return err
	}
	if !lax && more && len(key) > 0 && key[0] == '$' {
		_, err := d.specialObject(key, depth, true)
		return err
	}
	if depth >= MaxDepth {
		return errTooNested()
	}
	for n := 1; more; n++ {
		if !lax {
			if err := checkFieldName(key); err != nil {
				return err
			}
			if n > MaxObjectFields {
				return errTooManyFields(-1)
			}
		}
		name := key
		if d.escaped {
			name = append([]byte(nil), key...) // d.buf is about to be reused
		}
		if err := d.expectColon(); err != nil {
			return err
		}
		if err := d.skipValue(depth+1, lax); err != nil {
			return err.inField(string(name))
		}
		key, more, err = d.nextKey()
		if err != nil {
			return err
		}
	}
	return nil
}

func (d *decoder) skipArray(depth int, lax bool) *Error {
	more := d.firstElem()
	if depth >= MaxDepth {
		return errTooNested()
	}
	for i := 0; more; i++ {
		if !lax && i >= MaxArrayLen {
			return errArrayTooLong(-1)
		}
		if err := d.skipValue(depth+1, lax); err != nil {
			return err.inIndex(i)
		}
		var err *Error
		if more, err = d.nextElem(); err != nil {
			return err
		}
	}
	return nil
}
