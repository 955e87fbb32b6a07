package devhost

import (
	"os/exec"
	"syscall"
)

// detach puts the handler in its own process group, so a terminal's Ctrl-C
// reaches devhost alone and devhost can drain in-flight invocations before
// it stops the handler itself. Pdeathsig makes the kernel send SIGTERM to
// the handler if devhost dies without stopping it (e.g. SIGKILL).
func detach(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}
