package s3test

import "syscall"

// sysProcAttr kills the server if the test binary dies without cleaning up
// (a -timeout panic), so no orphan keeps its port and data directory.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
