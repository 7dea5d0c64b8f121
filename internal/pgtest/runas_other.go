//go:build !unix

package pgtest

import "os/exec"

// runAs is never needed where there is no root.
func runAs(cmd *exec.Cmd, uid, gid int) {}
