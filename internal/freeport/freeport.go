// Package freeport picks TCP ports for the servers tests start as
// processes (MinIO, backend replicas), which must be told their port
// before they listen.
package freeport

import (
	"net"
	"strconv"
)

// Ports returns n distinct ports free on 127.0.0.1 a moment ago. Another
// process may take one before the caller's server binds it; the callers
// start theirs at once and fail with the server's own error if it did.
func Ports(n int) ([]int, error) {
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer l.Close() // held until all are picked, so they differ
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// Addr returns one 127.0.0.1:port address free a moment ago.
func Addr() (string, error) {
	ports, err := Ports(1)
	if err != nil {
		return "", err
	}
	return "127.0.0.1:" + strconv.Itoa(ports[0]), nil
}
