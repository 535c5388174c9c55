package face

import (
	"sync"

	"github.com/promptforge/lorastudio/internal/face/models"
)

var loadDefault = sync.OnceValues(func() (*Engine, error) {
	e, err := NewEngine(
		ModelFiles{JSON: models.BlazeFaceFrontJSON, Shards: [][]byte{models.BlazeFaceFrontBin}},
		ModelFiles{JSON: models.FaceResJSON, Shards: [][]byte{models.FaceResBin}, Output: "global_pooling/Mean", Caffe: true},
	)
	if err != nil {
		return nil, err
	}
	return e.WithMesh(ModelFiles{JSON: models.FaceMeshJSON, Shards: [][]byte{models.FaceMeshBin}})
})

// Default returns the engine with the models this build ships, loaded once
// per process.
func Default() (*Engine, error) { return loadDefault() }
