package workos

import (
	"crypto/sha256"
	"encoding/base64"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestPKCE(t *testing.T) {
	seen := map[string]bool{}
	for range 20 {
		v, c := newPKCE()
		assert.GreaterOrEqual(t, len(v), 43)
		assert.LessOrEqual(t, len(v), 128)
		sum := sha256.Sum256([]byte(v))
		assert.Equal(t, base64.RawURLEncoding.EncodeToString(sum[:]), c)
		assert.False(t, seen[v])
		seen[v] = true
	}
}
