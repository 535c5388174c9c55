// Package models embeds the TensorFlow.js graph models the face pipeline
// ships with, so every build (CLI, desktop, server) runs the same weights.
// See README.md for their sources and licenses.
package models

import _ "embed"

// BlazeFace front-camera face detector, 128x128 input.
var (
	//go:embed blazeface-front.json
	BlazeFaceFrontJSON []byte
	//go:embed blazeface-front.bin
	BlazeFaceFrontBin []byte
)

// MediaPipe FaceMesh landmarks (468 points), 192x192 input.
var (
	//go:embed facemesh.json
	FaceMeshJSON []byte
	//go:embed facemesh.bin
	FaceMeshBin []byte
)

// HSE FaceRes face descriptor (1024 values at global_pooling/Mean, plus
// age and gender heads), 224x224 input in 0..255.
var (
	//go:embed faceres.json
	FaceResJSON []byte
	//go:embed faceres.bin
	FaceResBin []byte
)
