//go:build tools

// Package tools pins the command-line tools the build uses, apart from the
// app's own module: Wails v2.9.2 needs a newer golang.org/x/tools than it
// declares to compile with Go 1.26.
package tools

import _ "github.com/wailsapp/wails/v2/cmd/wails"
