package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/promptforge/lorastudio/internal/studio"
	"github.com/promptforge/lorastudio/internal/wire"
)

// sampleURLTTL is how long a sample image's link works: the desktop
// fetches the list again while it shows it.
const sampleURLTTL = time.Hour

type checkpointsOut struct{ Body wire.Checkpoints }

type promoteIn struct {
	ID   string `path:"id" maxLength:"64"`
	Step int    `path:"step" minimum:"1"`
}

type promoteOut struct{ Body wire.Version }

func (s *Server) registerCheckpoints() {
	tags := []string{"training"}
	register(s, huma.Operation{
		OperationID: "jobs-checkpoints", Method: http.MethodGet, Path: "/api/lora/jobs/{id}/checkpoints",
		Summary: "The checkpoints a job saved so far, each with its sample images", Security: bearer, Tags: tags,
	}, s.checkpoints)
	register(s, huma.Operation{
		OperationID: "jobs-checkpoint-promote", Method: http.MethodPost, Path: "/api/lora/jobs/{id}/checkpoints/{step}/promote",
		Summary: "Make a checkpoint of a succeeded job a version (again: the same version)", Security: bearer, Tags: tags,
	}, s.promoteCheckpoint)
}

func (s *Server) checkpoints(ctx context.Context, in *jobIDIn) (*checkpointsOut, error) {
	cs, err := s.cfg.Store.Checkpoints(ctx, userID(ctx), in.ID)
	if err != nil {
		return nil, err
	}
	out := &checkpointsOut{}
	out.Body.Checkpoints = []studio.Checkpoint{}
	for _, c := range cs {
		cb := studio.Checkpoint{Step: c.Step, SHA256: c.ArtifactSHA256, Size: c.ArtifactSize, Final: c.Final, VersionID: c.VersionID, Samples: []studio.Sample{}}
		for _, sm := range c.Samples {
			r, err := s.cfg.Blobs.PresignGet(ctx, sm.Key, sampleURLTTL)
			if err != nil {
				return nil, err
			}
			cb.Samples = append(cb.Samples, studio.Sample{Index: sm.Index, Prompt: sm.Prompt, URL: r.URL, SHA256: sm.SHA256, Size: sm.Size, ExpiresAt: r.Expires})
		}
		out.Body.Checkpoints = append(out.Body.Checkpoints, cb)
	}
	return out, nil
}

func (s *Server) promoteCheckpoint(ctx context.Context, in *promoteIn) (*promoteOut, error) {
	v, err := s.cfg.Store.PromoteCheckpoint(ctx, userID(ctx), in.ID, in.Step)
	if err != nil {
		return nil, err
	}
	logger(ctx).Info("checkpoint promoted", "job_id", in.ID, "step", in.Step, "version_id", v.ID)
	return &promoteOut{Body: toVersionBody(v)}, nil
}
