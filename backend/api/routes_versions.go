package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/promptforge/lorastudio/internal/studio"
	"github.com/promptforge/lorastudio/internal/wire"
)

type versionsOut struct{ Body wire.Versions }

type activateIn struct{ Body wire.ActivateRequest }

type identityOut struct{ Body wire.Identity }

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

func toVersionBody(v studio.Version) wire.Version {
	return wire.Version{ID: v.ID, ModelID: v.ModelID, DatasetID: v.DatasetID, Number: v.Number, BaseModel: v.BaseModel,
		Params: v.Params, DatasetHash: v.DatasetHash, Status: v.Status, ArtifactSHA256: v.ArtifactSHA256, CreatedAt: v.CreatedAt}
}

func (s *Server) listVersions(ctx context.Context, _ *struct{}) (*versionsOut, error) {
	vs, err := s.cfg.Store.Versions(ctx, userID(ctx))
	if err != nil {
		return nil, err
	}
	out := &versionsOut{}
	out.Body.Versions = []wire.Version{}
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
	if !(weight >= studio.MinLoRAWeight && weight <= studio.MaxLoRAWeight) {
		return nil, studio.Errorf(studio.EWeightOutOfRange, "weight %g is out of bounds [%g, %g]", weight, studio.MinLoRAWeight, studio.MaxLoRAWeight)
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
