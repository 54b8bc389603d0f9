package convextest

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// clientVersion is who a request says it comes from, read as the backend
// reads it (crates/common/src/version.rs, crates/common/src/http/mod.rs):
// the Convex-Client header ("npm-1.48.0"), else the version in a sync
// URL (/api/1.48.0/sync, which names the npm client).
type clientVersion struct {
	// client is the lowercase client name: "npm", "npm-cli", "python", …;
	// "unknown" when the request says nothing.
	client string
	// version is the semver, nil when the version is not one.
	version *semver
}

// minChunkingVersion is the first npm client version the backend sends
// TransitionChunks to (MIN_NPM_VERSION_FOR_TRANSITION_CHUNKS).
var minChunkingVersion = semver{1, 28, 0, ""}

// supportsChunks reports whether the backend splits large Transitions for
// this client: npm clients from 1.28.0 on (crates/local_backend/src/subs).
func (v clientVersion) supportsChunks() bool {
	return v.client == "npm" && v.version != nil && v.version.compare(minChunkingVersion) >= 0
}

// defaultFormat is the HTTP API's value format when a request names none:
// the encoded format for npm, npm-cli and actions clients before 1.4.1 and
// python clients before 0.5.0, the clean one otherwise.
func (v clientVersion) defaultFormat() valueFormat {
	var min semver
	switch v.client {
	case "npm", "npm-cli", "actions":
		min = semver{1, 4, 1, ""}
	case "python", "python-convex":
		min = semver{0, 5, 0, ""}
	default:
		return formatClean
	}
	if v.version != nil && v.version.compare(min) < 0 {
		return formatEncoded
	}
	return formatClean
}

// parseClientVersion reads a request's client version; a malformed one is
// a 400 InvalidClientVersion, as the backend answers before anything else.
func parseClientVersion(r *http.Request, pathVersion string) (clientVersion, *apiError) {
	if h := r.Header.Get("Convex-Client"); h != "" {
		parts := strings.Split(h, "-")
		if len(parts) < 2 {
			return clientVersion{}, &apiError{http.StatusBadRequest, "InvalidClientVersion",
				fmt.Sprintf("Failed to parse client version string: '%s'. Expected format is {client_name}-{semver}, e.g. my-esolang-client-0.0.1", h)}
		}
		for n := 1; n < len(parts); n++ {
			if v, ok := parseSemver(strings.Join(parts[n:], "-")); ok {
				return clientVersion{client: strings.ToLower(strings.Join(parts[:n], "-")), version: &v}, nil
			}
		}
		return clientVersion{client: strings.ToLower(parts[0])}, nil
	}
	if pathVersion == "" {
		return clientVersion{client: "unknown"}, nil
	}
	v, ok := parseSemver(pathVersion)
	if !ok {
		return clientVersion{}, &apiError{http.StatusBadRequest, "InvalidClientVersion",
			fmt.Sprintf("Failed to parse client version: %q is not a semantic version", pathVersion)}
	}
	return clientVersion{client: "npm", version: &v}, nil
}

// semver is a semantic version; build metadata is dropped.
type semver struct {
	major, minor, patch uint64
	pre                 string
}

// parseSemver parses MAJOR.MINOR.PATCH[-PRE][+BUILD] with no leading
// zeros in the numbers.
func parseSemver(s string) (semver, bool) {
	if i := strings.IndexByte(s, '+'); i >= 0 {
		s = s[:i]
	}
	var v semver
	if i := strings.IndexByte(s, '-'); i >= 0 {
		s, v.pre = s[:i], s[i+1:]
		if v.pre == "" {
			return v, false
		}
	}
	nums := strings.Split(s, ".")
	if len(nums) != 3 {
		return v, false
	}
	var out [3]uint64
	for i, n := range nums {
		if n == "" || len(n) > 1 && n[0] == '0' {
			return v, false
		}
		x, err := strconv.ParseUint(n, 10, 64)
		if err != nil {
			return v, false
		}
		out[i] = x
	}
	v.major, v.minor, v.patch = out[0], out[1], out[2]
	return v, true
}

// compare orders versions by semver precedence (a pre-release comes before
// its release; pre-releases compare as strings, a simplification).
func (v semver) compare(w semver) int {
	for _, d := range [][2]uint64{{v.major, w.major}, {v.minor, w.minor}, {v.patch, w.patch}} {
		if d[0] != d[1] {
			if d[0] < d[1] {
				return -1
			}
			return 1
		}
	}
	switch {
	case v.pre == w.pre:
		return 0
	case v.pre == "":
		return 1
	case w.pre == "":
		return -1
	case v.pre < w.pre:
		return -1
	}
	return 1
}

// apiError is an HTTP error answer: status and the backend's {code,
// message} body.
type apiError struct {
	status  int
	code    string
	message string
}

func (e *apiError) write(w http.ResponseWriter) { writeAPIError(w, e.status, e.code, e.message) }
