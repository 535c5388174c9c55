//go:build bindings

package main

// The Wails CLI builds the app with this tag and runs it once to generate
// the JS bindings; it needs the bound types, not an opened data folder.
const generatingBindings = true
