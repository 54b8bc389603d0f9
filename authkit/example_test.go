package authkit_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/goconvex/convex/authkit"
	"github.com/goconvex/convex/authkit/authkittest"
)

// A Provider over any TokenSource: here a function standing in for
// authkit-js's getAccessToken.
func ExampleNewProvider() {
	workos := authkittest.NewServer()
	defer workos.Close()
	online := true
	src := authkit.TokenSourceFunc(func(ctx context.Context, forceRefresh bool) (*authkit.Token, error) {
		if !online {
			return nil, &authkit.TransientError{Err: errors.New("offline")}
		}
		t, err := workos.IssueTokens(authkittest.DemoUser.ID)
		if err != nil {
			return nil, err
		}
		return authkit.ParseToken(t.AccessToken)
	})
	p := authkit.NewProvider(src, authkit.ProviderConfig{})
	defer p.Close()
	ctx := context.Background()

	fmt.Printf("%+v\n", p.State())
	tok, _ := p.FetchToken(ctx, false)
	fmt.Printf("%+v\n", p.State())

	online = false
	cached, err := p.FetchToken(ctx, false) // fresh: no call at all
	fmt.Println(cached == tok, err)
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond) // too short to retry
	defer cancel()
	_, err = p.FetchToken(short, true) // forced: must not return tok; not a sign-out
	fmt.Println(errors.Is(err, authkit.ErrTransient), errors.Is(err, authkit.ErrSignedOut))
	fmt.Println(p.State().IsAuthenticated, p.State().LastError != nil)
	// Output:
	// {IsLoading:true IsAuthenticated:false LastError:<nil>}
	// {IsLoading:false IsAuthenticated:true LastError:<nil>}
	// true <nil>
	// true false
	// true true
}

// Reading an access token's claims without verifying it, as a token
// source does for tokens the API it called just issued.
func ExampleParseToken() {
	workos := authkittest.NewServer()
	defer workos.Close()
	t, _ := workos.IssueTokens(authkittest.DemoUser.ID)

	tok, err := authkit.ParseToken(t.AccessToken)
	if err != nil {
		panic(err)
	}
	fmt.Println(tok.Subject, tok.Lifetime(), tok.RefreshBuffer())
	_, err = authkit.ParseToken("not a token")
	fmt.Println(errors.Is(err, authkit.ErrMalformedToken))
	// Output:
	// user_01DEM0USER0000000000000000 5m0s 30s
	// true
}
