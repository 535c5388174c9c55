//go:build !linux

package clustertest

import "syscall"

func sysProcAttr() *syscall.SysProcAttr { return nil }

func lockFile(string) (func(), error) { return func() {}, nil }
