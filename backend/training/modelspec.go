package training

import (
	"fmt"

	"github.com/promptforge/lorastudio/internal/studio"
	"github.com/promptforge/lorastudio/internal/worker"
)

// ArtifactMeta describes version v of the model named modelName, trained
// with p, for the ModelSpec keys of its file: the title is the model's name
// and the version's number ("alice v3"), the trigger phrase the captions'.
func ArtifactMeta(modelName string, v studio.Version, p Params) worker.ArtifactMeta {
	return worker.ArtifactMeta{
		Title:         fmt.Sprintf("%s v%d", modelName, v.Number),
		VersionID:     v.ID,
		DatasetHash:   v.DatasetHash,
		TriggerPhrase: p.TriggerPhrase(),
	}
}
