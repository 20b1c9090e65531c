package credfile

import "runtime"

// runtimeUnix is true where file modes and owners mean what they say.
const runtimeUnix = runtime.GOOS != "windows"
