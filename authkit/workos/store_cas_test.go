package workos

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// CompareAndSwap writes only over the expected refresh token, in both
// stores of the package.
func TestStoresCompareAndSwap(t *testing.T) {
	ctx := context.Background()
	for name, st := range map[string]Store{
		"memory": NewMemoryStore(),
		"file":   NewFileStore(filepath.Join(t.TempDir(), "s.json")),
	} {
		require.NoError(t, st.CompareAndSwap(ctx, "", &StoredSession{RefreshToken: "rt1"}), name)
		require.ErrorIs(t, st.CompareAndSwap(ctx, "", &StoredSession{RefreshToken: "rtX"}), ErrStoreChanged, name)
		require.ErrorIs(t, st.CompareAndSwap(ctx, "rt0", &StoredSession{RefreshToken: "rtX"}), ErrStoreChanged, name)
		require.NoError(t, st.CompareAndSwap(ctx, "rt1", &StoredSession{RefreshToken: "rt2"}), name)
		got, err := st.Load(ctx)
		require.NoError(t, err)
		assert.Equal(t, "rt2", got.RefreshToken, name)
		require.ErrorIs(t, st.CompareAndSwap(ctx, "rt1", nil), ErrStoreChanged, name)
		require.NoError(t, st.CompareAndSwap(ctx, "rt2", nil), name)
		got, err = st.Load(ctx)
		require.NoError(t, err)
		assert.Nil(t, got, name)
	}
}
