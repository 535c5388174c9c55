package face

import (
	"sync"

	"github.com/promptforge/lorastudio/internal/face/models"
)

// faceResSize is the side FaceRes runs at. It is fully convolutional up to
// a global mean; at 160 instead of its native 224 it costs half as much,
// and on the calibration set (25 people, 112 photos) the same-person
// distances stay the same (p95 0.418 vs 0.415) while the closest different
// people come slightly nearer (p1 0.433 vs 0.443). At 128 they overlap
// clearly more (same-person p95 0.568).
const faceResSize = 160

var loadDefault = sync.OnceValues(func() (*Engine, error) {
	e, err := NewEngine(
		ModelFiles{JSON: models.BlazeFaceFrontJSON, Shards: [][]byte{models.BlazeFaceFrontBin}},
		ModelFiles{JSON: models.FaceResJSON, Shards: [][]byte{models.FaceResBin}, Output: "global_pooling/Mean", Size: faceResSize, Caffe: true},
	)
	if err != nil {
		return nil, err
	}
	return e.WithMesh(ModelFiles{JSON: models.FaceMeshJSON, Shards: [][]byte{models.FaceMeshBin}})
})

// Default returns the engine with the models this build ships, loaded once
// per process.
func Default() (*Engine, error) { return loadDefault() }
