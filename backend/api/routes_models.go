package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/promptforge/lorastudio/internal/studio"
)

type modelsOut struct {
	Body struct {
		Models []modelBody `json:"models"`
	}
}

// modelBody is a model with its versions, oldest first.
type modelBody struct {
	studio.Model
	Versions []versionBody `json:"versions"`
}

type baseModelsOut struct {
	Body []studio.BaseModel
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
	out.Body.Models = []modelBody{}
	for _, m := range ms {
		mb := modelBody{Model: m, Versions: []versionBody{}}
		for _, v := range vs {
			if v.ModelID == m.ID {
				mb.Versions = append(mb.Versions, toVersionBody(v))
			}
		}
		out.Body.Models = append(out.Body.Models, mb)
	}
	return out, nil
}

func (s *Server) baseModels(context.Context, *struct{}) (*baseModelsOut, error) {
	return &baseModelsOut{Body: studio.BaseModels()}, nil
}
