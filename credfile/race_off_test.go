//go:build !race

package credfile

const raceEnabled = false
