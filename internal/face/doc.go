// Package face finds faces, their landmarks and head pose, and tells whether
// two faces are of the same person, with neural models that ship inside the
// binary and run in Go (internal/nn), so the CLI, the desktop app and the
// server give the same answer for the same bytes.
package face
