package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/goconvex/convex/authkit"
	"github.com/goconvex/convex/authkit/workos"
	"github.com/goconvex/convex/client"
	"github.com/goconvex/convex/client/values"
)

func cmdLogin(a *app, fs *flag.FlagSet, args []string) error {
	device := fs.Bool("device", false, "sign in with a device code (no browser on this machine)")
	port := fs.Int("port", 0, "loopback port of the browser callback (0: random); allowlist http://127.0.0.1:PORT/callback")
	hint := fs.String("login-hint", "", "pre-fill this email")
	sess, st, err := a.parseSession(fs, args)
	if err != nil {
		return err
	}
	ctx := a.cmdCtx
	opts := workos.SignInOptions{Output: a.stderr, LoginHint: *hint}
	var stored *workos.StoredSession
	if *device {
		var stop func()
		stored, err = workos.SignInWithDeviceCode(ctx, a.cfg.Config, func(dc workos.DeviceCode) {
			fmt.Fprintf(a.stderr, "To sign in, open %s\nand enter the code: %s\n", dc.VerificationURI, dc.UserCode)
			if dc.VerificationURIComplete != "" {
				fmt.Fprintf(a.stderr, "(or open %s)\n", dc.VerificationURIComplete)
			}
			if onDeviceCode != nil {
				onDeviceCode(dc)
			}
			stop = spin(a.stderr, "Waiting for approval…")
		}, opts)
		if stop != nil {
			stop()
		}
	} else {
		opts.CallbackPort, opts.OpenBrowser = *port, openBrowser
		stop := spin(a.stderr, "Waiting for the browser sign-in…")
		stored, err = workos.SignInWithBrowser(ctx, a.cfg.Config, opts)
		stop()
	}
	if errors.Is(err, workos.ErrPendingStep) {
		stored, err = a.finishPending(ctx, err) // an organization, an MFA or emailed code, on stdin
	}
	if err != nil {
		return err
	}
	// The deployments trusted before stay trusted; signing in here trusts
	// the one in effect here.
	if prev, err := st.Load(ctx); err == nil && prev != nil {
		stored.ConvexURLs = prev.ConvexURLs
	}
	trusted := ""
	if a.cfg.ConvexURL != "" {
		if urls, err := trustURL(stored.ConvexURLs, a.cfg.ConvexURL); err != nil {
			fmt.Fprintf(a.stderr, "goconvex: the Convex deployment is not trusted with the session: %v\n", err)
		} else {
			stored.ConvexURLs, trusted = urls, a.cfg.ConvexURL
		}
	}
	if err := sess.Save(ctx, stored); err != nil {
		return fmt.Errorf("saving the session: %w", err)
	}
	u := stored.User
	if u == nil {
		u = &workos.User{}
	}
	human := fmt.Sprintf("Signed in as %s (%s).\nSession saved in %s\n", u.Email, u.ID, st.Path())
	if trusted != "" {
		human += fmt.Sprintf("Convex deployment trusted with the session: %s\n", trusted)
	}
	a.out(map[string]any{"signed_in": true, "user": u, "organization_id": stored.OrganizationID, "store": st.Path(), "trusted": nonNil(stored.ConvexURLs)},
		human)
	return nil
}

func cmdLogout(a *app, fs *flag.FlagSet, args []string) error {
	local := fs.Bool("local", false, "only forget the session here; do not end it at WorkOS")
	sess, st, err := a.parseSession(fs, args)
	if err != nil {
		return err
	}
	ctx := a.cmdCtx
	saved, err := st.Load(ctx)
	if err != nil {
		return err
	}
	if saved == nil {
		a.out(map[string]any{"signed_in": false, "ended_remotely": false}, "Not signed in.\n")
		return nil
	}
	ended := false
	var remoteErr error
	if !*local {
		var sid string
		if t, err := authkit.ParseToken(saved.AccessToken); err == nil {
			sid = t.SessionID
		}
		if sid == "" {
			if t, err := sess.Token(ctx, false); err == nil {
				sid = t.SessionID
			}
		}
		switch {
		case sid == "":
			remoteErr = errors.New("no session id known")
		case a.cfg.APIKey != "":
			remoteErr = workos.RevokeSession(ctx, a.cfg.Config, sid)
		default:
			remoteErr = workos.EndSession(ctx, a.cfg.Config, sid)
		}
		ended = remoteErr == nil
	}
	if err := sess.SignOut(ctx); err != nil {
		return err
	}
	human := "Signed out.\n"
	if remoteErr != nil {
		human = fmt.Sprintf("Signed out here; the session could not be ended at WorkOS: %v\n", remoteErr)
	}
	a.out(map[string]any{"signed_in": false, "ended_remotely": ended}, human)
	return nil
}

// claimsOf decodes a JWT's payload without verifying it.
func claimsOf(tok string) (map[string]any, error) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return nil, authkit.ErrMalformedToken
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, authkit.ErrMalformedToken
	}
	var m map[string]any
	d := json.NewDecoder(strings.NewReader(string(b)))
	d.UseNumber()
	if err := d.Decode(&m); err != nil {
		return nil, authkit.ErrMalformedToken
	}
	return m, nil
}

func cmdWhoami(a *app, fs *flag.FlagSet, args []string) error {
	sess, st, err := a.parseSession(fs, args)
	if err != nil {
		return err
	}
	ctx := a.cmdCtx
	stop := spin(a.stderr, "Checking the session…")
	tok, err := sess.Token(ctx, false)
	stop()
	if err != nil {
		return err
	}
	claims, err := claimsOf(tok.AccessToken)
	if err != nil {
		return err
	}
	u := sess.User()
	var b strings.Builder
	if u != nil {
		name := strings.TrimSpace(u.FirstName + " " + u.LastName)
		fmt.Fprintf(&b, "User:         %s", u.Email)
		if name != "" {
			fmt.Fprintf(&b, " (%s)", name)
		}
		fmt.Fprintf(&b, "\n")
	}
	fmt.Fprintf(&b, "User id:      %s\n", tok.Subject)
	fmt.Fprintf(&b, "Session:      %s\n", tok.SessionID)
	if tok.OrganizationID != "" {
		fmt.Fprintf(&b, "Organization: %s\n", tok.OrganizationID)
	}
	fmt.Fprintf(&b, "Issuer:       %s\n", tok.Issuer)
	if aud, ok := claims["aud"]; ok {
		fmt.Fprintf(&b, "Audience:     %v\n", aud)
	}
	fmt.Fprintf(&b, "Token expiry: %s (in %s)\n", tok.Expiry.Local().Format(time.RFC3339), time.Until(tok.Expiry).Round(time.Second))
	var trusted []string
	if saved, err := st.Load(ctx); err == nil && saved != nil {
		trusted = saved.ConvexURLs
	}
	for i, t := range trusted {
		label := ""
		if i == 0 {
			label = "Trusted:"
		}
		fmt.Fprintf(&b, "%-14s%s\n", label, t)
	}
	a.out(map[string]any{"user": u, "claims": claims, "trusted": nonNil(trusted)}, b.String())
	return nil
}

func cmdToken(a *app, fs *flag.FlagSet, args []string) error {
	force := fs.Bool("force", false, "refresh even if the current token is still fresh")
	sess, _, err := a.parseSession(fs, args)
	if err != nil {
		return err
	}
	ctx := a.cmdCtx
	// A new Session has no current token: load it first, so that --force
	// means "another token than the stored one".
	tok, err := sess.Token(ctx, false)
	if err == nil && *force {
		tok, err = sess.Token(ctx, true)
	}
	if err != nil {
		return err
	}
	if a.json {
		a.out(map[string]any{"access_token": tok.AccessToken, "expires_at": tok.Expiry.UTC().Format(time.RFC3339)}, "")
		return nil
	}
	fmt.Fprintln(a.stdout, tok.AccessToken)
	return nil
}

// parseFnArgs reads the function and its JSON arguments (an object; {} by
// default).
func parseFnArgs(pos []string) (string, values.Raw, error) {
	raw := values.Raw("{}")
	if len(pos) > 1 {
		raw = values.Raw(pos[1])
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(raw, &obj); err != nil {
			return "", nil, usageError{"the arguments must be a JSON object, like '{\"body\":\"hi\"}'"}
		}
		if err := values.Validate(raw); err != nil {
			return "", nil, usageError{fmt.Sprintf("the arguments are not a Convex value: %v", err)}
		}
	}
	return pos[0], raw, nil
}

// optionalSession returns the Session and what its store holds when a
// session is stored; ok is false when not.
func (a *app) optionalSession() (sess *workos.Session, saved *workos.StoredSession, ok bool) {
	if a.cfg.ClientID == "" {
		return nil, nil, false
	}
	sess, st, err := a.session()
	if err != nil {
		return nil, nil, false
	}
	if saved, err = st.Load(a.ctx); err != nil || saved == nil {
		return nil, nil, false
	}
	return sess, saved, true
}

// signedInSession returns the Session to call the deployment with: nil
// with --anon or when no session is stored, and an error, before anything
// is sent, when the deployment may not have its token (checkTrusted).
func (a *app) signedInSession(anon bool) (*workos.Session, error) {
	if anon {
		return nil, nil
	}
	sess, saved, ok := a.optionalSession()
	if !ok {
		return nil, nil
	}
	if err := a.checkTrusted(saved); err != nil {
		return nil, err
	}
	return sess, nil
}

// functionArgs parses "<function> [json args]" and checks that a
// deployment is configured.
func (a *app) functionArgs(fs *flag.FlagSet, args []string) (string, values.Raw, error) {
	pos, err := a.parseArgs(fs, args, 1, 2)
	if err != nil {
		return "", nil, err
	}
	if err := a.needConvexURL(); err != nil {
		return "", nil, err
	}
	return parseFnArgs(pos)
}

func cmdRun(a *app, fs *flag.FlagSet, args []string) error {
	kind := fs.String("kind", "", "query, mutation or action (default: the function's, from the deployment's function spec; query without one)")
	anon := fs.Bool("anon", false, "run without signing in even when a session is stored")
	kinds := a.kindFlags(fs)
	name, fnArgs, err := a.functionArgs(fs, args)
	if err != nil {
		return err
	}
	sess, err := a.signedInSession(*anon)
	if err != nil {
		return err
	}
	ctx := a.cmdCtx
	hc, err := client.NewHTTPClient(a.cfg.ConvexURL)
	if err != nil {
		return err
	}
	if sess != nil {
		tok, err := sess.Token(ctx, false)
		if err != nil {
			return err
		}
		hc.SetAuth(tok.AccessToken)
	}
	var out values.Raw
	if err := kinds.call(ctx, hc, *kind, name, fnArgs, &out); err != nil {
		return err
	}
	if len(out) == 0 {
		out = values.Raw("null")
	}
	if a.json {
		fmt.Fprintf(a.stdout, "%s\n", out)
		return nil
	}
	var pretty any
	d := json.NewDecoder(strings.NewReader(string(out)))
	d.UseNumber()
	if d.Decode(&pretty) == nil {
		b, _ := json.MarshalIndent(pretty, "", "  ")
		fmt.Fprintf(a.stdout, "%s\n", b)
		return nil
	}
	fmt.Fprintf(a.stdout, "%s\n", out)
	return nil
}

func cmdWatch(a *app, fs *flag.FlagSet, args []string) error {
	anon := fs.Bool("anon", false, "subscribe without signing in even when a session is stored")
	kinds := a.kindFlags(fs)
	name, fnArgs, err := a.functionArgs(fs, args)
	if err != nil {
		return err
	}
	if err := kinds.watchable(name); err != nil {
		return err
	}
	sess, err := a.signedInSession(*anon)
	if err != nil {
		return err
	}
	ctx := a.cmdCtx
	c, err := client.New(a.cfg.ConvexURL)
	if err != nil {
		return err
	}
	defer c.Close()
	if sess != nil {
		p := authkit.NewProvider(sess, authkit.ProviderConfig{ProactiveRefresh: true})
		defer settle(a, sess)
		defer p.Close()
		c.SetAuth(p)
	}
	sub, err := c.Subscribe(ctx, name, fnArgs)
	if err != nil {
		return err
	}
	defer sub.Close()
	for {
		res, err := sub.Next(ctx)
		if err != nil {
			if a.ctx.Err() != nil {
				return &exitError{exitInterrupted, errors.New("interrupted")} // Ctrl-C: 130, as documented
			}
			if ctx.Err() != nil {
				return nil // --timeout: the normal end
			}
			if fe, ok := errors.AsType[*client.FunctionError](err); ok {
				fmt.Fprintf(a.stderr, "goconvex: %s\n", fe.Message)
				continue
			}
			return err
		}
		fmt.Fprintf(a.stdout, "%s\n", res.Raw())
	}
}

// settle lets a refresh still in flight finish and persist its rotated
// refresh token before the process exits.
func settle(a *app, sess *workos.Session) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(a.ctx), 5*time.Second)
	defer cancel()
	sess.Token(ctx, false)
}
