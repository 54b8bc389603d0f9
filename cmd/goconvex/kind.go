package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/goconvex/convex/authkit/workos"
	"github.com/goconvex/convex/client"
	"github.com/goconvex/convex/client/values"
	"github.com/goconvex/convex/funcspec"
)

// run and watch learn a function's kind (query, mutation or action) from
// the deployment's function spec, so that --kind is needed only without
// one. The spec comes from --spec FILE, or from the deployment itself (the
// apiSpec system query, with an admin or deploy key, as gen fetches it),
// kept in a cache per deployment in the CLI's config directory:
// <config dir>/specs/<hash of the URL>.json. The cache is used while it is
// fresh (specCacheTTL) and holds the function; otherwise, with a key, the
// spec is fetched again: a function added since, or a deployment pushed
// since, is found. A call that the deployment refuses as the wrong kind
// ("Trying to execute … as Query, but it is defined as Mutation.") drops
// the cached spec, and with a key run fetches it and tries once more (the
// refused call did not run). Without any spec (no file, no cache, no key)
// run runs a query, as before, and watch subscribes.

// specCacheTTL is how long a cached spec is trusted without asking the
// deployment again.
const specCacheTTL = time.Hour

// envConfigDir is the variable naming the CLI's config directory, the one
// the session store's workos.DefaultStorePath reads.
const envConfigDir = workos.EnvStoreDir

// configDir is the CLI's config directory, the session store's
// (workos.DefaultStorePath): $GOCONVEX_CONFIG_DIR, or goconvex under the
// user's config directory.
func configDir() (string, error) {
	if d := os.Getenv(envConfigDir); d != "" {
		return d, nil
	}
	base, err := os.UserConfigDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(base, "goconvex"), nil
}

// specCachePath is the cache file of the deployment at url.
func specCachePath(url string) (string, error) {
	dir, err := configDir()
	if err != nil {
		return "", err
	}
	key, ok := deploymentKey(url)
	if !ok {
		key = url
	}
	sum := sha256.Sum256([]byte(key))
	return filepath.Join(dir, "specs", hex.EncodeToString(sum[:12])+".json"), nil
}

// cachedSpec is a cache file.
type cachedSpec struct {
	URL       string          `json:"url"`
	FetchedAt time.Time       `json:"fetched_at"`
	Spec      json.RawMessage `json:"spec"`
}

// readSpecCache returns the cached spec of url and when it was fetched;
// nil when there is none (or it does not read).
func readSpecCache(url string) (*funcspec.Spec, time.Time) {
	path, err := specCachePath(url)
	if err != nil {
		return nil, time.Time{}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, time.Time{}
	}
	var c cachedSpec
	if json.Unmarshal(data, &c) != nil || c.URL != url {
		return nil, time.Time{}
	}
	spec, err := funcspec.Parse(c.Spec)
	if err != nil {
		return nil, time.Time{}
	}
	return spec, c.FetchedAt
}

// writeSpecCache caches the spec fetched from url. Failing to is not an
// error of the command.
func writeSpecCache(url string, spec *funcspec.Spec) {
	path, err := specCachePath(url)
	if err != nil {
		return
	}
	data, err := spec.JSON()
	if err != nil {
		return
	}
	b, err := json.MarshalIndent(cachedSpec{URL: url, FetchedAt: time.Now().UTC(), Spec: data}, "", "  ")
	if err != nil {
		return
	}
	if os.MkdirAll(filepath.Dir(path), 0o700) != nil {
		return
	}
	tmp := path + ".tmp"
	if os.WriteFile(tmp, b, 0o600) == nil {
		_ = os.Rename(tmp, path)
	}
}

// dropSpecCache forgets the cached spec of url.
func dropSpecCache(url string) {
	if path, err := specCachePath(url); err == nil {
		_ = os.Remove(path)
	}
}

// kindSource is where a function's kind came from.
type kindSource int

const (
	kindDefault  kindSource = iota // no spec: run's query, as before --kind was optional
	kindFlag                       // --kind
	kindSpecFile                   // --spec
	kindCache                      // the cached spec
	kindFetched                    // the spec just fetched
)

// kindResolver finds the kind of the function run or watch calls.
type kindResolver struct {
	a        *app
	specFile string
	keyFlag  string
}

// canonicalName is the path the spec lists a function under, as clients
// canonicalize it: "messages" is "messages:default", "messages.js:list"
// is "messages:list".
func canonicalName(name string) string {
	module, fn := name, "default"
	if i := strings.LastIndexByte(name, ':'); i >= 0 {
		module, fn = name[:i], name[i+1:]
	}
	return strings.TrimSuffix(module, ".js") + ":" + fn
}

// kindOf returns the kind of function name ("query", "mutation" or
// "action") and where it came from. A function the spec does not list is
// an error naming what it lists.
func (r *kindResolver) kindOf(name string) (string, kindSource, error) {
	path := canonicalName(name)
	if strings.HasPrefix(path, "_system/") {
		return "query", kindDefault, nil // the deployment's own functions are not in its spec
	}
	if r.specFile != "" {
		spec, source, err := r.a.loadSpec(r.specFile, "")
		if err != nil {
			return "", 0, err
		}
		kind, err := lookupKind(spec, path, source)
		return kind, kindSpecFile, err
	}
	url := r.a.cfg.ConvexURL
	spec, fetchedAt := readSpecCache(url)
	key, keyErr := r.a.specKey(r.keyFlag)
	if spec != nil && time.Since(fetchedAt) < specCacheTTL {
		if kind, err := lookupKind(spec, path, url); err == nil {
			return kind, kindCache, nil
		}
	}
	if key == "" {
		if keyErr != nil {
			fmt.Fprintf(r.a.stderr, "goconvex: %v\n", keyErr)
		}
		if spec == nil {
			return "query", kindDefault, nil
		}
		// An old cache, or one without the function: no key to ask again.
		kind, err := lookupKind(spec, path, fmt.Sprintf("%s, cached %s", url, fetchedAt.Local().Format(time.RFC3339)))
		if err != nil {
			err = usageError{err.Error() + "; set " + envDeployKey + " (or pass --admin-key) to read the deployment's spec again"}
		}
		return kind, kindCache, err
	}
	fresh, err := r.a.fetchSpec(key)
	if err != nil {
		return "", 0, err
	}
	kind, err := lookupKind(fresh, path, url)
	return kind, kindFetched, err
}

// lookupKind finds path in spec; source names the spec in the error.
func lookupKind(spec *funcspec.Spec, path, source string) (string, error) {
	var names []string
	for _, f := range spec.Functions {
		if f.Type == funcspec.HTTPAction {
			continue
		}
		if f.CanonicalPath() == path {
			return strings.ToLower(string(f.Type)), nil
		}
		names = append(names, f.CanonicalPath())
	}
	sort.Strings(names)
	msg := fmt.Sprintf("%s is not a function of the deployment (spec: %s)", path, source)
	if near := nearest(path, names); near != "" {
		msg += fmt.Sprintf("; did you mean %s?", near)
	} else if len(names) > 0 {
		if len(names) > 12 {
			names = append(names[:12], "…")
		}
		msg += "; it has " + strings.Join(names, ", ")
	}
	return "", usageError{msg + " (pass --kind to call it anyway)"}
}

// nearest returns the name within a small edit distance of path, "" for
// none.
func nearest(path string, names []string) string {
	best, bestD := "", 4
	for _, n := range names {
		if d := editDistance(path, n); d < bestD {
			best, bestD = n, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// wrongKind matches the backend's answer to a call of the wrong kind
// (crates/udf/src/validation.rs).
var wrongKind = regexp.MustCompile(`Trying to execute \S+ as (Query|Mutation|Action), but it is defined as (Query|Mutation|Action)\.`)

// definedAs returns the kind the deployment says the function has, when
// err is its wrong-kind answer.
func definedAs(err error) (string, bool) {
	fe, ok := errors.AsType[*client.FunctionError](err)
	if !ok {
		return "", false
	}
	m := wrongKind.FindStringSubmatch(fe.Message)
	if m == nil {
		return "", false
	}
	return strings.ToLower(m[2]), true
}

// specKey returns the admin or deploy key to fetch the spec with: the
// flag, else $CONVEX_DEPLOY_KEY, else $CONVEX_ADMIN_KEY; "" for none. A
// key is not sent to a deployment URL read from a dotenv file unless the
// same file holds the key: a cloned repository's .env.local could name any
// deployment, and the key is the deployment's admin (err says why none is
// returned then).
func (a *app) specKey(flag string) (string, error) {
	key, from := flag, ""
	if key == "" {
		for _, name := range []string{envDeployKey, envAdminKey} {
			if v := os.Getenv(name); v != "" {
				key, from = v, name
				break
			}
		}
	}
	if key == "" {
		return "", nil
	}
	if a.convexURLFile != "" && !(from != "" && a.fromDotEnv[from]) {
		what := "--admin-key"
		if from != "" {
			what = "$" + from
		}
		return "", fmt.Errorf("not sending %s to %s, which %s names (%s): pass the deployment with --convex-url or %s in the environment to use the key with it",
			what, a.cfg.ConvexURL, a.convexURLVar, a.convexURLFile, envConvexURL)
	}
	return key, nil
}

// call runs function name with args over hc, as the kind --kind gives
// (flagKind) or the spec says, and decodes the result into out. When the
// deployment answers that the function has another kind and that kind
// came from the cache, the cache is dropped and, with a key, the fresh
// spec's kind is tried once; otherwise the error says which --kind to
// pass.
func (r *kindResolver) call(ctx context.Context, hc *client.HTTPClient, flagKind, name string, args values.Raw, out *values.Raw) error {
	kind, source := flagKind, kindFlag
	if kind == "" {
		var err error
		if kind, source, err = r.kindOf(name); err != nil {
			return err
		}
	}
	run := func(kind string) error {
		stop := spin(r.a.stderr, "Running "+name+"…")
		defer stop()
		switch kind {
		case "query":
			return hc.Query(ctx, name, args, out)
		case "mutation":
			return hc.Mutation(ctx, name, args, out)
		case "action":
			return hc.Action(ctx, name, args, out)
		}
		return usageError{"--kind must be query, mutation or action"}
	}
	err := run(kind)
	defined, ok := definedAs(err)
	if !ok {
		return err
	}
	url := r.a.cfg.ConvexURL
	if source == kindCache {
		dropSpecCache(url)
		if key, _ := r.a.specKey(r.keyFlag); key != "" {
			if fresh, ferr := r.a.fetchSpec(key); ferr == nil {
				if k, lerr := lookupKind(fresh, canonicalName(name), url); lerr == nil && k != kind {
					return run(k) // the refused call did not run
				}
			}
		}
	}
	hint := ""
	if source == kindDefault {
		hint = ", or set " + envDeployKey + " so that run reads the kinds from the deployment's function spec"
	}
	return fmt.Errorf("%w\n(%s is %s: pass --kind %s%s)", err, canonicalName(name), article(defined), defined, hint)
}

// watchable checks that name is a query before watch subscribes to it,
// when the spec says what it is.
func (r *kindResolver) watchable(name string) error {
	kind, source, err := r.kindOf(name)
	if err != nil {
		return err
	}
	if source != kindDefault && kind != "query" {
		return usageError{fmt.Sprintf("%s is %s: watch subscribes to queries (run it with goconvex run)", canonicalName(name), article(kind))}
	}
	return nil
}

// kindFlags registers run's and watch's flags for the spec: --spec and
// --admin-key.
func (a *app) kindFlags(fs *flag.FlagSet) *kindResolver {
	r := &kindResolver{a: a}
	fs.StringVar(&r.specFile, "spec", "", "the function spec to read kinds from, as `npx convex function-spec` prints it (default: the deployment's, with an admin or deploy key, cached)")
	fs.StringVar(&r.keyFlag, "admin-key", "", "admin or deploy key for reading the deployment's function spec (default $"+envDeployKey+", then $"+envAdminKey+"); calls still run as you")
	return r
}

// article puts "a" or "an" before a kind.
func article(kind string) string {
	if kind == "action" {
		return "an " + kind
	}
	return "a " + kind
}
