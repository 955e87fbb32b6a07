//go:build !linux

package devhost

import "os/exec"

// detach is a no-op where process groups and Pdeathsig are not available.
func detach(cmd *exec.Cmd) {}
