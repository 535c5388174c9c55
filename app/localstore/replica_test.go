package localstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/promptforge/lorastudio/app/localstore"
	"github.com/promptforge/lorastudio/internal/studio"
)

func TestReplicaFollowsTheServer(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := localstore.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.LastJob(ctx); studio.ErrorCode(err) != studio.ENotFound {
		t.Fatalf("last job of a fresh store: %v, want not found", err)
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	v1 := localstore.VersionRow{ID: "v1", Number: 1, BaseModel: "sdxl", DatasetHash: "sha256:a", Status: "ready", CreatedAt: now}
	v2 := localstore.VersionRow{ID: "v2", Number: 2, BaseModel: "flux-dev", DatasetHash: "sha256:b", Status: "pending", CreatedAt: now}

	// A job whose version is not here yet waits for it.
	job := localstore.JobRow{ID: "j2", VersionID: "v2", Status: "running", Progress: 0.5}
	if saved, err := s.SaveJob(ctx, job); err != nil || saved {
		t.Fatalf("job before its version: saved %v, %v; want not saved", saved, err)
	}
	if err := s.ReplaceVersions(ctx, []localstore.VersionRow{v1, v2}, &localstore.IdentityRow{VersionID: "v1", Weight: 0.8, TargetPlatform: "sdxl"}); err != nil {
		t.Fatal(err)
	}
	if saved, err := s.SaveJob(ctx, job); err != nil || !saved {
		t.Fatalf("job: saved %v, %v", saved, err)
	}
	job.Status, job.Progress = "succeeded", 1
	s.SaveJob(ctx, job)
	s.Close()

	// After a restart the copy is there, as the server last said.
	s, err = localstore.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	vs, active, err := s.Versions(ctx)
	if err != nil || len(vs) != 2 || vs[0].ID != "v2" || active == nil || active.VersionID != "v1" || active.Weight != 0.8 {
		t.Fatalf("after restart: %+v, %+v, %v", vs, active, err)
	}
	if j, err := s.LastJob(ctx); err != nil || j.Status != "succeeded" || j.Progress != 1 {
		t.Errorf("last job: %+v, %v", j, err)
	}

	// The server erased v1 (and with it the identity): so does the copy.
	if err := s.ReplaceVersions(ctx, []localstore.VersionRow{v2}, nil); err != nil {
		t.Fatal(err)
	}
	vs, active, _ = s.Versions(ctx)
	if len(vs) != 1 || vs[0].ID != "v2" || active != nil {
		t.Errorf("after the server dropped v1: %+v, identity %+v", vs, active)
	}
	if err := s.ReplaceVersions(ctx, nil, nil); err != nil {
		t.Fatal(err)
	}
	if vs, _, _ := s.Versions(ctx); len(vs) != 0 {
		t.Errorf("after withdrawal on the server: %d versions left", len(vs))
	}
}
