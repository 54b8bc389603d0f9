package workos

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A stored session is bound to the API base that issued it: a Session
// configured with another one (a WORKOS_API_BASE from an untrusted .env
// file) sends none of its tokens there, hands out none, keeps the store,
// and names both API bases.
func TestSessionBoundToItsAPIBase(t *testing.T) {
	c := newFakeClock(true)
	api := newFakeAPI(t, c.Now, 5*time.Minute)
	ctx := context.Background()
	var mem *MemoryStore
	s, _ := newTestSession(t, api, c, func(cfg *SessionConfig) {
		mem = cfg.Store.(*MemoryStore)
		st, _ := mem.Load(ctx)
		st.APIBase = "https://api.workos.com"
		st.AccessToken = tokenAt(c.Now(), 5*time.Minute, nil) // fresh: would be handed out
		require.NoError(t, mem.Save(ctx, st))
	})
	_, err := s.Token(ctx, false)
	var me *APIBaseMismatchError
	require.ErrorAs(t, err, &me)
	assert.Equal(t, "https://api.workos.com", me.Stored)
	assert.Contains(t, err.Error(), "https://api.workos.com")
	assert.Contains(t, err.Error(), me.Configured)
	assert.False(t, isSignedOut(err))
	assert.Zero(t, api.Requests(), "nothing sent to the other API base")
	st, _ := mem.Load(ctx)
	require.NotNil(t, st, "the session is kept")

	// Save refuses a session from elsewhere, and binds one without a base.
	require.ErrorAs(t, s.Save(ctx, &StoredSession{RefreshToken: "rt", APIBase: "https://auth.example.com"}), &me)
	rt := api.grant()
	require.NoError(t, s.Save(ctx, &StoredSession{RefreshToken: rt}))
	st, _ = mem.Load(ctx)
	assert.Equal(t, me.Configured, st.APIBase)
	tok, err := s.Token(ctx, false)
	require.NoError(t, err)
	assert.NotEmpty(t, tok.AccessToken)
	st, _ = mem.Load(ctx)
	assert.Equal(t, me.Configured, st.APIBase, "a refresh keeps the binding")
}
