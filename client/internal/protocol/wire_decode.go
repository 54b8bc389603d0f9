package protocol

import (
	"fmt"
	"math"

	"github.com/goconvex/convex/client/values"
)

// decodeWire reads a server frame into a wireServerMessage in one pass,
// without reflection. The envelope is read as plain JSON (the backend puts
// no value limits on it, e.g. on the number of modifications); only the
// Convex values it carries (value, result, errorData) are checked as Convex
// JSON. Unknown fields are skipped whatever JSON they hold, as the JS client
// ignores them; null reads as absent.
func decodeWire(data []byte) (wireServerMessage, error) {
	var w wireServerMessage
	r := wireReader{dec: values.NewDecoder(data)}
	dec := r.dec
	dec.JSONObject(func(key []byte) {
		switch string(key) {
		case "type":
			w.Type = dec.String()
		case "startVersion":
			w.StartVersion = r.version()
		case "endVersion":
			w.EndVersion = r.version()
		case "modifications":
			dec.JSONArray(func() { w.Modifications = append(w.Modifications, r.modification()) })
		case "clientClockSkew":
			w.ClientClockSkew = orNil(dec, dec.Number)
		case "serverTs":
			w.ServerTS = dec.Raw()
		case "chunk":
			w.Chunk = dec.String()
		case "partNumber":
			w.PartNumber = r.uint32("partNumber")
		case "totalParts":
			w.TotalParts = r.uint32("totalParts")
		case "transitionId":
			w.TransitionID = dec.String()
		case "requestId":
			w.RequestID = r.optionalUint32("requestId")
		case "success":
			w.Success = dec.Bool()
		case "result":
			w.Result = dec.Raw()
		case "ts":
			w.TS = orNil(dec, dec.String)
		case "logLines":
			w.LogLines = r.strings()
		case "errorData":
			w.ErrorData = dec.Raw()
		case "error":
			w.Error = dec.String()
		case "baseVersion":
			w.BaseVersion = r.optionalUint32("baseVersion")
		case "authUpdateAttempted":
			w.AuthUpdateAttempted = orNil(dec, dec.Bool)
		default:
			dec.SkipJSON()
		}
	})
	if err := dec.End(); err != nil {
		return w, err
	}
	return w, r.err
}

// wireReader reads the shapes that recur in server messages. It keeps the
// first error that is about a value's range rather than its syntax.
type wireReader struct {
	dec *values.Decoder
	err error
}

func (r *wireReader) version() *wireVersion {
	if r.dec.Null() {
		return nil
	}
	v := &wireVersion{}
	r.dec.JSONObject(func(key []byte) {
		switch string(key) {
		case "querySet":
			v.QuerySet = r.uint32("querySet")
		case "identity":
			v.Identity = r.uint32("identity")
		case "ts":
			v.TS = r.dec.String()
		default:
			r.dec.SkipJSON()
		}
	})
	return v
}

func (r *wireReader) modification() wireModification {
	var m wireModification
	r.dec.JSONObject(func(key []byte) {
		switch string(key) {
		case "type":
			m.Type = r.dec.String()
		case "queryId":
			m.QueryID = r.optionalUint32("queryId")
		case "value":
			m.Value = r.dec.Raw()
		case "errorMessage":
			m.ErrorMessage = r.dec.String()
		case "errorData":
			m.ErrorData = r.dec.Raw()
		case "logLines":
			m.LogLines = r.strings()
		case "journal":
			m.Journal = r.dec.Raw()
		default:
			r.dec.SkipJSON()
		}
	})
	return m
}

func (r *wireReader) strings() []string {
	if r.dec.Null() {
		return nil
	}
	out := []string{}
	r.dec.JSONArray(func() { out = append(out, r.dec.String()) })
	return out
}

func (r *wireReader) uint32(field string) uint32 {
	f := r.dec.Number()
	if f != math.Trunc(f) || f < 0 || f > math.MaxUint32 {
		if r.err == nil {
			r.err = fmt.Errorf("%s is %v, not a uint32", field, f)
		}
		return 0
	}
	return uint32(f)
}

func (r *wireReader) optionalUint32(field string) *uint32 {
	return orNil(r.dec, func() uint32 { return r.uint32(field) })
}

// orNil reads a field that may be null: nil for null, else read's value.
func orNil[T any](dec *values.Decoder, read func() T) *T {
	if dec.Null() {
		return nil
	}
	v := read()
	return &v
}
