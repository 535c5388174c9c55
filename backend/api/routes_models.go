package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/promptforge/lorastudio/backend/training"
	"github.com/promptforge/lorastudio/internal/studio"
	"github.com/promptforge/lorastudio/internal/wire"
)

type modelsOut struct{ Body wire.Models }

type baseModelsOut struct {
	Body []wire.BaseModel
}

func (s *Server) registerModels() {
	register(s, huma.Operation{
		OperationID: "models-list", Method: http.MethodGet, Path: "/api/lora/models",
		Summary: "The user's models with their versions", Security: bearer, Tags: []string{"models"},
	}, s.listModels)
	register(s, huma.Operation{
		OperationID: "base-models", Method: http.MethodGet, Path: "/api/lora/base-models",
		Summary: "The base models a LoRA can be trained on", Security: bearer, Tags: []string{"models"},
	}, s.baseModels)
}

func (s *Server) listModels(ctx context.Context, _ *struct{}) (*modelsOut, error) {
	ms, err := s.cfg.Store.Models(ctx, userID(ctx))
	if err != nil {
		return nil, err
	}
	vs, err := s.cfg.Store.Versions(ctx, userID(ctx))
	if err != nil {
		return nil, err
	}
	out := &modelsOut{}
	out.Body.Models = []wire.Model{}
	for _, m := range ms {
		mb := wire.Model{Model: m, Versions: []wire.Version{}}
		for _, v := range vs {
			if v.ModelID == m.ID {
				mb.Versions = append(mb.Versions, toVersionBody(v))
			}
		}
		out.Body.Models = append(out.Body.Models, mb)
	}
	return out, nil
}

// baseModels lists what the GPU provider can train (all of the registry
// when none is configured), each with its preset, so the desktop offers
// exactly what will be accepted.
func (s *Server) baseModels(ctx context.Context, _ *struct{}) (*baseModelsOut, error) {
	supported := map[string]bool{}
	if p := s.cfg.Training.Provider; p != nil {
		ids, err := p.BaseModels(ctx)
		if err != nil {
			return nil, studio.Wrap(err, studio.EProviderUnavailable, "the GPU provider did not say which models it trains; try again")
		}
		for _, id := range ids {
			supported[id] = true
		}
	}
	out := &baseModelsOut{Body: []wire.BaseModel{}}
	for _, m := range studio.BaseModels() {
		if len(supported) == 0 && s.cfg.Training.Provider == nil || supported[m.ID] {
			out.Body = append(out.Body, wire.BaseModel{BaseModel: m, Preset: training.Presets[m.ID]})
		}
	}
	return out, nil
}
