package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/goconvex/convex/authkit/workos"
)

// stdin is where login reads the answers to a sign-in's pending steps
// (tests replace it with a pipe).
var stdin io.Reader = os.Stdin

// maxAttempts is how many answers one step gets before login gives up.
const maxAttempts = 3

// finishPending answers the steps WorkOS asks for before it hands out a
// session (docs/auth.md, "Pending steps"): it prompts on stderr and reads
// the answers from stdin, a line each: the number of an organization, the
// code of an authenticator app (after enrolling one when the account has
// none), or the code emailed to the user. A wrong answer is asked again,
// up to maxAttempts times a step. Finishing a step needs the API key.
func (a *app) finishPending(ctx context.Context, err error) (*workos.StoredSession, error) {
	in := bufio.NewReader(stdin)
	cfg := a.cfg.Config
	for range 8 { // a sign-in has at most a few steps
		step, ok := errors.AsType[workos.PendingStep](err)
		if !ok {
			return nil, err
		}
		if cfg.APIKey == "" {
			return nil, fmt.Errorf("%w; finishing it from the command line needs the environment's API key (--api-key or %s)", err, workos.EnvAPIKey)
		}
		var st *workos.StoredSession
		switch s := step.(type) {
		case *workos.OrganizationSelectionRequired:
			st, err = a.chooseOrganization(ctx, in, cfg, s)
		case *workos.MFAChallengeRequired:
			f, ok := s.TOTPFactor()
			if !ok {
				return nil, fmt.Errorf("%w; the account has no authenticator app factor: sign in with the browser", err)
			}
			var c *workos.Challenge
			if c, err = workos.ChallengeFactor(ctx, cfg, f.ID); err == nil {
				st, err = a.askCode(ctx, in, "Authenticator app code: ", func(code string) (*workos.StoredSession, error) {
					return workos.CompleteMFA(ctx, cfg, s.PendingToken, c.ID, code)
				})
			}
		case *workos.MFAEnrollmentRequired:
			if s.User == nil {
				return nil, fmt.Errorf("%w; WorkOS named no user to enroll", err)
			}
			var e *workos.TOTPEnrollment
			if e, err = workos.EnrollTOTP(ctx, cfg, s.User.ID); err == nil {
				fmt.Fprintf(a.stderr, "Your account needs two-factor authentication. Add this key to your authenticator app:\n\n  %s\n\n", e.Secret)
				if e.URI != "" {
					fmt.Fprintf(a.stderr, "(or open %s)\n", e.URI)
				}
				st, err = a.askCode(ctx, in, "Authenticator app code: ", func(code string) (*workos.StoredSession, error) {
					return workos.CompleteMFA(ctx, cfg, s.PendingToken, e.ChallengeID, code)
				})
			}
		case *workos.EmailVerificationRequired:
			fmt.Fprintf(a.stderr, "A verification code was emailed to %s.\n", s.Email)
			st, err = a.askCode(ctx, in, "Code: ", func(code string) (*workos.StoredSession, error) {
				return workos.CompleteEmailVerification(ctx, cfg, s.PendingToken, code)
			})
		default:
			return nil, err
		}
		if err == nil {
			return st, nil
		}
	}
	return nil, err
}

// chooseOrganization shows the user's organizations, numbered, and
// finishes the sign-in in the one whose number (or id) is read.
func (a *app) chooseOrganization(ctx context.Context, in *bufio.Reader, cfg workos.Config, s *workos.OrganizationSelectionRequired) (*workos.StoredSession, error) {
	if len(s.Organizations) == 0 {
		return nil, fmt.Errorf("%w; WorkOS listed no organization", s)
	}
	fmt.Fprintln(a.stderr, "Your account belongs to several organizations:")
	for i, o := range s.Organizations {
		fmt.Fprintf(a.stderr, "  %d) %s (%s)\n", i+1, o.Name, o.ID)
	}
	for range maxAttempts {
		line, err := a.prompt(ctx, in, fmt.Sprintf("Organization [1-%d]: ", len(s.Organizations)))
		if err != nil {
			return nil, err
		}
		org := ""
		if n, err := strconv.Atoi(line); err == nil && n >= 1 && n <= len(s.Organizations) {
			org = s.Organizations[n-1].ID
		}
		for _, o := range s.Organizations {
			if line == o.ID {
				org = o.ID
			}
		}
		if org == "" {
			fmt.Fprintf(a.stderr, "Enter a number from 1 to %d.\n", len(s.Organizations))
			continue
		}
		return workos.CompleteOrganizationSelection(ctx, cfg, s.PendingToken, org)
	}
	return nil, errors.New("no organization chosen")
}

// askCode reads a code and finishes the step with it, asking again after
// a wrong one.
func (a *app) askCode(ctx context.Context, in *bufio.Reader, label string, finish func(code string) (*workos.StoredSession, error)) (*workos.StoredSession, error) {
	var err error
	for range maxAttempts {
		var code string
		if code, err = a.prompt(ctx, in, label); err != nil {
			return nil, err
		}
		code = strings.Join(strings.Fields(code), "")
		if code == "" {
			continue
		}
		var st *workos.StoredSession
		st, err = finish(code)
		if ae, ok := errors.AsType[*workos.APIError](err); ok && ae.Code == "invalid_one_time_code" {
			fmt.Fprintln(a.stderr, "That code is not right, or has expired.")
			continue
		}
		return st, err
	}
	if err == nil {
		err = errors.New("no code entered")
	}
	return nil, err
}

// prompt writes label to stderr and reads one line from in, or gives up
// when ctx ends.
func (a *app) prompt(ctx context.Context, in *bufio.Reader, label string) (string, error) {
	fmt.Fprint(a.stderr, label)
	type result struct {
		line string
		err  error
	}
	ch := make(chan result, 1)
	go func() {
		line, err := in.ReadString('\n')
		ch <- result{line, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil && (r.line == "" || !errors.Is(r.err, io.EOF)) {
			if errors.Is(r.err, io.EOF) {
				return "", errors.New("no answer on standard input")
			}
			return "", r.err
		}
		return strings.TrimSpace(r.line), nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}
