package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/promptforge/lorastudio/internal/studio"
	"github.com/promptforge/lorastudio/internal/wire"
)

// ArtifactURLTTL is how long an artifact's download URL works. Storage
// checks it when a request starts, so a long download outlives it; a
// resume after it asks the route for a new URL.
const ArtifactURLTTL = 15 * time.Minute

type versionIDIn struct {
	ID string `path:"id" maxLength:"64"`
}

type artifactOut struct{ Body wire.Artifact }

func (s *Server) registerArtifact() {
	register(s, huma.Operation{
		OperationID: "version-artifact", Method: http.MethodGet, Path: "/api/lora/versions/{id}/artifact",
		Summary:     "A short-lived download URL of a ready version's .safetensors, with its sha256, size and file name",
		Description: "The URL accepts Range requests, so a broken download resumes. Another user's or an unknown version is 404; one that is not ready is 409 version_not_ready.",
		Security:    bearer, Tags: []string{"versions"},
	}, s.artifact)
}

// artifact presigns the download of one of the user's ready versions.
// Returns ENotFound, version_not_ready and storage_unavailable.
func (s *Server) artifact(ctx context.Context, in *versionIDIn) (*artifactOut, error) {
	v, err := s.cfg.Store.NamedVersion(ctx, userID(ctx), in.ID)
	if err != nil {
		return nil, err
	}
	if v.Status != studio.VersionReady || v.ArtifactURL == "" {
		return nil, studio.Errorf(studio.EVersionNotReady, "version %s is %s; its LoRA can be downloaded once training has succeeded", v.ID, v.Status)
	}
	if s.cfg.Blobs == nil {
		return nil, studio.Errorf(studio.EStorageUnavailable, "this server has no storage configured")
	}
	get, err := s.cfg.Blobs.PresignGet(ctx, v.ArtifactURL, ArtifactURLTTL)
	if err != nil {
		return nil, err
	}
	logger(ctx).Info("artifact download presigned", "version_id", v.ID, "size", v.ArtifactSize)
	return &artifactOut{Body: studio.Artifact{
		URL:       get.URL,
		SHA256:    v.ArtifactSHA256,
		Size:      v.ArtifactSize,
		Filename:  studio.LoRAFileName(v.ModelName, v.Number, v.BaseModel),
		ExpiresAt: get.Expires.UTC(),
	}}, nil
}
