//go:build race

package credfile

// raceEnabled: the race detector multiplies memory use, so memory bounds
// mean nothing under it.
const raceEnabled = true
