package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/promptforge/lorastudio/internal/studio"
)

type modelsOut struct {
	Body struct {
		Models []studio.Model `json:"models"`
	}
}

type baseModelsOut struct {
	Body []studio.BaseModel
}

func (s *Server) registerModels() {
	register(s, huma.Operation{
		OperationID: "models-list", Method: http.MethodGet, Path: "/api/lora/models",
		Summary: "The user's models", Security: bearer, Tags: []string{"models"},
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
	out := &modelsOut{}
	out.Body.Models = append([]studio.Model{}, ms...)
	return out, nil
}

func (s *Server) baseModels(context.Context, *struct{}) (*baseModelsOut, error) {
	return &baseModelsOut{Body: studio.BaseModels()}, nil
}
