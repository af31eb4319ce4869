//go:build race

package proxy_test

// raceEnabled: the race detector is on (it allocates by itself, so the
// allocation guard skips).
const raceEnabled = true
