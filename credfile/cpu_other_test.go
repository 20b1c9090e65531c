//go:build !unix

package credfile

import "time"

func cpuTime() time.Duration { return 0 }
