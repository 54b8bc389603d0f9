package values

import "strings"

// Object keys are written in the order JSON.stringify(convexToJson(v))
// gives them. convexToJson sorts the keys by UTF-16 code units (byte order,
// for the ASCII of valid field names) and builds a new object in that
// order, but a JS object always lists its array-index keys ("0", "1", …,
// "4294967294") first, in numeric order, and JSON.stringify follows it. So
// array-index keys come first, by value, then the rest, sorted.

// isArrayIndex reports whether k is an ECMAScript array index: the
// canonical decimal form of an integer from 0 to 2^32-2.
func isArrayIndex(k string) bool {
	if len(k) == 0 || len(k) > 10 || k[0] < '0' || k[0] > '9' {
		return false
	}
	if k[0] == '0' {
		return len(k) == 1
	}
	var n uint64
	for i := 0; i < len(k); i++ {
		c := k[i]
		if c < '0' || c > '9' {
			return false
		}
		n = n*10 + uint64(c-'0')
	}
	return n <= 1<<32-2
}

// compareKeys orders object keys as JS writes them.
func compareKeys(a, b string) int {
	ai, bi := isArrayIndex(a), isArrayIndex(b)
	switch {
	case ai && bi:
		if len(a) != len(b) {
			return len(a) - len(b)
		}
	case ai:
		return -1
	case bi:
		return 1
	}
	return strings.Compare(a, b)
}

// sortFields puts the fields of a map[string]any in the order compareKeys
// gives their keys, which are distinct, so stability does not matter. It is
// written out rather than calling slices.SortFunc because each element type
// sorted with package slices links its own copy of pdqsort: 22 KB of the
// wasm build for this one. Small objects, the common case, take an
// insertion sort; larger ones a heapsort, O(n log n) up to the field limit.
func sortFields(fields []kv) {
	n := len(fields)
	if n <= 12 {
		for i := 1; i < n; i++ {
			for j := i; j > 0 && compareKeys(fields[j].k, fields[j-1].k) < 0; j-- {
				fields[j], fields[j-1] = fields[j-1], fields[j]
			}
		}
		return
	}
	siftDown := func(root, end int) {
		for {
			child := 2*root + 1
			if child >= end {
				return
			}
			if child+1 < end && compareKeys(fields[child].k, fields[child+1].k) < 0 {
				child++
			}
			if compareKeys(fields[root].k, fields[child].k) >= 0 {
				return
			}
			fields[root], fields[child] = fields[child], fields[root]
			root = child
		}
	}
	for i := n/2 - 1; i >= 0; i-- {
		siftDown(i, n)
	}
	for end := n - 1; end > 0; end-- {
		fields[0], fields[end] = fields[end], fields[0]
		siftDown(0, end)
	}
}
