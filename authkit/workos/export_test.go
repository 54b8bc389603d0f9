package workos

import (
	"context"
	"time"
)

// Hooks for the package's external tests (package workos_test): the
// package reads and waits on time through unexported clocks only.

// NewSessionWithSleep is NewSession waiting with sleep between retries.
func NewSessionWithSleep(cfg SessionConfig, sleep func(context.Context, time.Duration) error) (*Session, error) {
	return newSession(cfg, clock{now: time.Now, sleep: sleep}, defaultBackoff)
}

// SignInWithDeviceCodeOnClock is SignInWithDeviceCode polling on the
// clock now and sleep.
func SignInWithDeviceCodeOnClock(ctx context.Context, cfg Config, prompt func(DeviceCode), o SignInOptions,
	now func() time.Time, sleep func(context.Context, time.Duration) error) (*StoredSession, error) {
	return signInWithDeviceCode(ctx, cfg, prompt, o, clock{now: now, sleep: sleep})
}

// NewClientCredentialsSourceAt is NewClientCredentialsSource reading the
// clock now.
func NewClientCredentialsSourceAt(cfg ClientCredentialsConfig, now func() time.Time) (*ClientCredentialsSource, error) {
	return newClientCredentialsSource(cfg, now)
}
