// Command gen writes frontend/src/lib/api/wire.gen.ts from the Go contract
// (see package tsgen). Run from the module's root: go run ./internal/wire/gen
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/promptforge/lorastudio/internal/wire/tsgen"
)

func main() {
	root := "."
	if len(os.Args) > 1 {
		root = os.Args[1]
	}
	b, err := tsgen.Generate()
	if err == nil {
		err = os.WriteFile(filepath.Join(root, tsgen.Path), b, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}
