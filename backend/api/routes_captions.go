package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/promptforge/lorastudio/backend/pgstore"
	"github.com/promptforge/lorastudio/backend/training"
	"github.com/promptforge/lorastudio/internal/studio"
	"github.com/promptforge/lorastudio/internal/wire"
)

type captionsIn struct {
	ID   string `path:"id" maxLength:"64"`
	Body wire.CaptionsRequest
}

type autoCaptionIn struct {
	ID   string `path:"id" maxLength:"64"`
	Body wire.AutoCaptionRequest
}

type captionRunOut struct {
	Status int
	Body   wire.CaptionRun
}

func (s *Server) registerCaptions() {
	tags := []string{"datasets"}
	register(s, huma.Operation{
		OperationID: "datasets-captions", Method: http.MethodPut, Path: "/api/lora/datasets/{id}/captions",
		Summary: "Set captions of a dataset's photos; answers the dataset with its new hash", Security: bearer,
		Metadata: map[string]any{"rate_limit": "upload"}, Tags: tags,
	}, s.setCaptions)
	register(s, huma.Operation{
		OperationID: "datasets-autocaption", Method: http.MethodPost, Path: "/api/lora/datasets/{id}/autocaption",
		Summary: "Queue a run of the GPU worker's captioner over a dataset's photos", Security: bearer,
		// A run holds the GPU, as a training job does.
		DefaultStatus: http.StatusAccepted, Metadata: map[string]any{"rate_limit": "jobs"}, Tags: tags,
	}, s.autoCaption)
}

func (s *Server) setCaptions(ctx context.Context, in *captionsIn) (*datasetOut, error) {
	if len(in.Body.Captions) == 0 { // the schema's minItems lets a JSON null through
		return nil, studio.Errorf(studio.EInvalid, "name at least one photo in captions")
	}
	if err := s.requireConsent(ctx); err != nil {
		return nil, err
	}
	edits := make([]pgstore.CaptionEdit, len(in.Body.Captions))
	for i, c := range in.Body.Captions {
		edits[i] = pgstore.CaptionEdit{PhotoID: c.PhotoID, Caption: c.Caption}
	}
	d, items, err := s.cfg.Store.SetCaptions(ctx, userID(ctx), in.ID, edits)
	if err != nil {
		return nil, err
	}
	return &datasetOut{Body: toDatasetBody(d, items)}, nil
}

func (s *Server) autoCaption(ctx context.Context, in *autoCaptionIn) (*captionRunOut, error) {
	if err := s.requireConsent(ctx); err != nil {
		return nil, err
	}
	if _, ok := s.cfg.Training.Provider.(training.Captioner); !ok {
		return nil, studio.Errorf(studio.ECaptionerUnavailable, "the GPU provider of this server does not caption photos; write the captions yourself")
	}
	tpl := in.Body.Template
	if tpl == "" {
		tpl = training.DefaultCaptionTemplate
	}
	if err := studio.CheckCaption(tpl); err != nil {
		return nil, err
	}
	run, err := s.cfg.Store.StartCaptionRun(ctx, pgstore.CaptionRequest{UserID: userID(ctx), DatasetID: in.ID, Template: tpl, Overwrite: in.Body.Overwrite})
	if err != nil {
		return nil, err
	}
	logger(ctx).Info("caption run queued", "dataset_id", in.ID, "overwrite", in.Body.Overwrite)
	return &captionRunOut{Status: http.StatusAccepted, Body: run}, nil
}
