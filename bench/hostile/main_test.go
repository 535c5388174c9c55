package main

import "testing"

// The bench must never send anything off loopback.
func TestLoopback(t *testing.T) {
	for raw, want := range map[string]bool{
		"http://127.0.0.1:8080/healthz":   true,
		"http://127.0.0.41:1/x":           true,
		"http://[::1]:80/":                true,
		"http://localhost:8080/":          false, // a name could resolve anywhere
		"http://10.0.0.1:8080/":           false,
		"https://bucket.s3.amazonaws.com": false,
		"http://128.0.0.1/":               false,
		"::not a url":                     false,
	} {
		if got := loopback(raw); got != want {
			t.Errorf("loopback(%q) = %v, want %v", raw, got, want)
		}
	}
}
