package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/promptforge/lorastudio/internal/studio"
)

// Activation weight bounds; the default is the base model's.
const (
	MinWeight = 0.05
	MaxWeight = 2.0
)

type versionBody struct {
	ID             string    `json:"id"`
	ModelID        string    `json:"model_id"`
	DatasetID      string    `json:"dataset_id"`
	Number         int       `json:"number"`
	BaseModel      string    `json:"base_model"`
	Params         any       `json:"params"`
	DatasetHash    string    `json:"dataset_hash"`
	Status         string    `json:"status"`
	ArtifactSHA256 string    `json:"artifact_sha256,omitempty"`
	CreatedAt      time.Time `json:"created_at"`
}

type versionsOut struct {
	Body struct {
		Versions []versionBody `json:"versions"`
	}
}

type activateIn struct {
	Body struct {
		VersionID      string   `json:"version_id" format:"uuid"`
		Weight         *float64 `json:"weight,omitempty" doc:"0.05 to 2; default: the base model's (1.0 Flux, 0.8 SDXL)"`
		TargetPlatform string   `json:"target_platform" minLength:"1" maxLength:"64" doc:"a target platform id (sora-2...) or the version's base model for its LoRA pipeline"`
	}
}

type identityOut struct{ Body studio.Identity }

func (s *Server) registerVersions() {
	tags := []string{"versions"}
	register(s, huma.Operation{
		OperationID: "versions-list", Method: http.MethodGet, Path: "/api/lora/versions",
		Summary: "The user's trained versions", Security: bearer, Tags: tags,
	}, s.listVersions)
	register(s, huma.Operation{
		OperationID: "activate", Method: http.MethodPost, Path: "/api/lora/activate",
		Summary: "Activate a ready version (activating an older one is a rollback)", Security: bearer, Tags: tags,
	}, s.activate)
	register(s, huma.Operation{
		OperationID: "identity", Method: http.MethodGet, Path: "/api/lora/identity",
		Summary: "The user's active version", Security: bearer, Tags: tags,
	}, s.identity)
}

func toVersionBody(v studio.Version) versionBody {
	return versionBody{ID: v.ID, ModelID: v.ModelID, DatasetID: v.DatasetID, Number: v.Number, BaseModel: v.BaseModel,
		Params: v.Params, DatasetHash: v.DatasetHash, Status: v.Status, ArtifactSHA256: v.ArtifactSHA256, CreatedAt: v.CreatedAt}
}

func (s *Server) listVersions(ctx context.Context, _ *struct{}) (*versionsOut, error) {
	vs, err := s.cfg.Store.Versions(ctx, userID(ctx))
	if err != nil {
		return nil, err
	}
	out := &versionsOut{}
	out.Body.Versions = []versionBody{}
	for _, v := range vs {
		out.Body.Versions = append(out.Body.Versions, toVersionBody(v))
	}
	return out, nil
}

func (s *Server) activate(ctx context.Context, in *activateIn) (*identityOut, error) {
	uid := userID(ctx)
	v, err := s.cfg.Store.Version(ctx, uid, in.Body.VersionID)
	if err != nil {
		return nil, err
	}
	if in.Body.TargetPlatform != v.BaseModel {
		if _, err := studio.LookupPlatform(in.Body.TargetPlatform); err != nil {
			return nil, err
		}
	}
	bm, err := studio.LookupBaseModel(v.BaseModel)
	if err != nil {
		return nil, err
	}
	weight := bm.DefaultWeight
	if in.Body.Weight != nil {
		weight = *in.Body.Weight
	}
	if !(weight >= MinWeight && weight <= MaxWeight) {
		return nil, studio.Errorf(studio.EWeightOutOfRange, "weight %g is out of bounds [%g, %g]", weight, MinWeight, MaxWeight)
	}
	id, err := s.cfg.Store.Activate(ctx, uid, v.ID, weight, in.Body.TargetPlatform)
	if err != nil {
		return nil, err
	}
	logger(ctx).Info("version activated", "version_id", v.ID, "weight", weight, "target_platform", in.Body.TargetPlatform)
	return &identityOut{Body: id}, nil
}

func (s *Server) identity(ctx context.Context, _ *struct{}) (*identityOut, error) {
	id, err := s.cfg.Store.Identity(ctx, userID(ctx))
	if err != nil {
		return nil, err
	}
	return &identityOut{Body: id}, nil
}
