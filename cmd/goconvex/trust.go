package main

import (
	"flag"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/goconvex/convex/authkit"
	"github.com/goconvex/convex/authkit/workos"
	"github.com/goconvex/convex/client"
)

// A dotenv file in the working directory is not the user's word: a cloned
// repository can name any deployment in it. The session's access token goes
// to a Convex URL read from one only if the user trusted that deployment
// with the session (workos.StoredSession.ConvexURLs): login trusts the one
// in effect, trust adds one. A URL from --convex-url or the environment is
// the user's explicit choice and is always used.

// untrustedDeploymentError is a Convex URL from a dotenv file that the
// session does not trust.
type untrustedDeploymentError struct {
	url, file, name string
}

func (e *untrustedDeploymentError) Error() string {
	return fmt.Sprintf("the Convex deployment %s (%s in %s) is not trusted with your session: nothing was sent to it.\n"+
		"To use it, pass it explicitly (--convex-url %s, or %s in the environment), or trust it once: goconvex trust %s",
		e.url, e.name, e.file, e.url, envConvexURL, e.url)
}

// checkTrusted refuses to send the session saved to cfg.ConvexURL when
// that URL was read from a dotenv file and the session does not trust it.
func (a *app) checkTrusted(saved *workos.StoredSession) error {
	if a.convexURLFile == "" {
		return nil // a flag or the environment: the user's choice
	}
	if saved != nil && isTrusted(saved.ConvexURLs, a.cfg.ConvexURL) {
		return nil
	}
	return &untrustedDeploymentError{url: a.cfg.ConvexURL, file: a.convexURLFile, name: a.convexURLVar}
}

// deploymentKey is the form in which deployment URLs are compared: the
// scheme and host in lower case, the path without trailing slashes, and
// everything else as written. ok is false for what is not an http(s) URL.
func deploymentKey(raw string) (key string, ok bool) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" || u.Opaque != "" {
		return "", false
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "http" && scheme != "https" {
		return "", false
	}
	key = scheme + "://"
	if u.User != nil {
		key += u.User.String() + "@"
	}
	key += strings.ToLower(u.Host) + strings.TrimRight(u.EscapedPath(), "/")
	if u.RawQuery != "" || u.Fragment != "" {
		key += "?" + u.RawQuery + "#" + u.EscapedFragment()
	}
	return key, true
}

// isTrusted reports whether u is one of the trusted URLs.
func isTrusted(trusted []string, u string) bool {
	k, ok := deploymentKey(u)
	if !ok {
		return false
	}
	return slices.ContainsFunc(trusted, sameDeployment(k))
}

// sameDeployment matches the URLs whose deploymentKey is k.
func sameDeployment(k string) func(string) bool {
	return func(t string) bool {
		tk, ok := deploymentKey(t)
		return ok && tk == k
	}
}

// trustURL adds u to trusted (unless it is there) after checking that it is
// a deployment URL the client accepts.
func trustURL(trusted []string, u string) ([]string, error) {
	u = strings.TrimRight(strings.TrimSpace(u), "/")
	if _, err := client.NewHTTPClient(u); err != nil {
		return trusted, err
	}
	if _, ok := deploymentKey(u); !ok {
		return trusted, fmt.Errorf("%q is not an http(s) URL", u)
	}
	if isTrusted(trusted, u) {
		return trusted, nil
	}
	return append(slices.Clone(trusted), u), nil
}

func cmdTrust(a *app, fs *flag.FlagSet, args []string) error {
	list := fs.Bool("list", false, "print the deployments trusted with the session")
	remove := fs.Bool("remove", false, "stop trusting the deployment")
	pos, err := a.parseArgs(fs, args, 0, 1)
	if err != nil {
		return err
	}
	if *list && (*remove || len(pos) > 0) {
		return usageError{"--list takes no deployment and no --remove"}
	}
	if err := a.needClientID(); err != nil {
		return err
	}
	st, err := a.store()
	if err != nil {
		return err
	}
	ctx := a.cmdCtx
	// Under the store's lock: a refresh by another process rewrites the
	// file, keeping the list it read under the same lock.
	unlock, err := st.Lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	saved, err := st.Load(ctx)
	if err != nil {
		return err
	}
	if saved == nil {
		return fmt.Errorf("the trusted deployments are kept with the session: %w", authkit.ErrSignedOut)
	}
	if *list {
		a.out(map[string]any{"trusted": nonNil(saved.ConvexURLs)}, lines(saved.ConvexURLs))
		return nil
	}
	u := a.cfg.ConvexURL
	if len(pos) == 1 {
		u = pos[0]
	}
	if u == "" {
		return usageError{"no Convex deployment: name it (goconvex trust URL) or set CONVEX_URL (or .env.local)"}
	}
	var human string
	if *remove {
		k, _ := deploymentKey(u)
		before := len(saved.ConvexURLs)
		saved.ConvexURLs = slices.DeleteFunc(saved.ConvexURLs, sameDeployment(k))
		if len(saved.ConvexURLs) == before {
			return fmt.Errorf("%s is not trusted with the session", u)
		}
		human = fmt.Sprintf("No longer trusted: %s\n", u)
	} else {
		if saved.ConvexURLs, err = trustURL(saved.ConvexURLs, u); err != nil {
			return err
		}
		human = fmt.Sprintf("Trusted with the session: %s\n", strings.TrimRight(strings.TrimSpace(u), "/"))
	}
	if err := st.Save(ctx, saved); err != nil {
		return fmt.Errorf("saving the session: %w", err)
	}
	a.out(map[string]any{"trusted": nonNil(saved.ConvexURLs)}, human)
	return nil
}

// lines returns one line per string.
func lines(ss []string) string {
	var b strings.Builder
	for _, s := range ss {
		b.WriteString(s + "\n")
	}
	return b.String()
}

func nonNil(ss []string) []string {
	if ss == nil {
		return []string{}
	}
	return ss
}
