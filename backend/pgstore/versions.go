package pgstore

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/jackc/pgx/v5"

	"github.com/promptforge/lorastudio/internal/studio"
)

const versionCols = `id, lora_model_id, coalesce(dataset_id::text, ''), version_number, base_model, params_json, dataset_hash, status, artifact_url, artifact_sha256, artifact_size, created_at`

func scanVersion(row pgx.Row) (studio.Version, error) {
	var v studio.Version
	var params []byte
	err := row.Scan(&v.ID, &v.ModelID, &v.DatasetID, &v.Number, &v.BaseModel, &params, &v.DatasetHash, &v.Status, &v.ArtifactURL, &v.ArtifactSHA256, &v.ArtifactSize, &v.CreatedAt)
	v.Params = params
	return v, err
}

// Versions lists the user's versions, by model then number.
func (s *Store) Versions(ctx context.Context, userID string) ([]studio.Version, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+versionCols+` FROM lora_versions WHERE user_id = $1 ORDER BY lora_model_id, version_number`, userID)
	if err != nil {
		return nil, fmt.Errorf("pgstore: versions: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (studio.Version, error) { return scanVersion(r) })
}

// Version returns one of the user's versions. Returns ENotFound.
func (s *Store) Version(ctx context.Context, userID, id string) (studio.Version, error) {
	if !validUUID(id) {
		return studio.Version{}, studio.Errorf(studio.ENotFound, "no version %s", id)
	}
	v, err := scanVersion(s.pool.QueryRow(ctx, `SELECT `+versionCols+` FROM lora_versions WHERE id = $1 AND user_id = $2`, id, userID))
	if err != nil {
		return studio.Version{}, notFound(err, "no version %s", id)
	}
	return v, nil
}

// NamedVersion is a version with its model's name: what its artifact's
// file name and ModelSpec title are made of.
type NamedVersion struct {
	studio.Version
	ModelName string
}

// NamedVersion returns one of the user's versions with its model's name.
// Returns ENotFound.
func (s *Store) NamedVersion(ctx context.Context, userID, id string) (NamedVersion, error) {
	if !validUUID(id) {
		return NamedVersion{}, studio.Errorf(studio.ENotFound, "no version %s", id)
	}
	var nv NamedVersion
	v := &nv.Version
	var params []byte
	err := s.pool.QueryRow(ctx, `SELECT v.id, v.lora_model_id, coalesce(v.dataset_id::text, ''), v.version_number, v.base_model, v.params_json,
		   v.dataset_hash, v.status, v.artifact_url, v.artifact_sha256, v.artifact_size, v.created_at, m.name
		 FROM lora_versions v JOIN lora_models m ON m.id = v.lora_model_id WHERE v.id = $1 AND v.user_id = $2`, id, userID).Scan(
		&v.ID, &v.ModelID, &v.DatasetID, &v.Number, &v.BaseModel, &params, &v.DatasetHash, &v.Status, &v.ArtifactURL, &v.ArtifactSHA256, &v.ArtifactSize, &v.CreatedAt, &nv.ModelName)
	if err != nil {
		return NamedVersion{}, notFound(err, "no version %s", id)
	}
	v.Params = params
	return nv, nil
}

// Activate makes a ready version the user's active identity, replacing the
// one before (activating an older version is a rollback). Returns ENotFound
// and "version_not_ready" (EConflict).
func (s *Store) Activate(ctx context.Context, userID, versionID string, weight float64, platform string) (studio.Identity, error) {
	id := studio.Identity{UserID: userID, VersionID: versionID, Weight: weight, TargetPlatform: platform}
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var status string
		err := tx.QueryRow(ctx, `SELECT lora_model_id, status FROM lora_versions WHERE id = $1 AND user_id = $2 FOR SHARE`,
			versionID, userID).Scan(&id.ModelID, &status)
		if err != nil {
			return notFound(err, "no version %s", versionID)
		}
		if status != studio.VersionReady {
			return studio.Errorf(studio.EVersionNotReady, "version %s is %s; only a ready version can be activated", versionID, status)
		}
		return tx.QueryRow(ctx,
			`INSERT INTO user_identity_active (user_id, lora_model_id, lora_version_id, weight, target_platform, updated_at)
			 VALUES ($1, $2, $3, $4, $5, $6)
			 ON CONFLICT (user_id) DO UPDATE SET lora_model_id = excluded.lora_model_id, lora_version_id = excluded.lora_version_id,
			   weight = excluded.weight, target_platform = excluded.target_platform, updated_at = excluded.updated_at
			 RETURNING updated_at`, userID, id.ModelID, versionID, weight, platform, s.Now()).Scan(&id.UpdatedAt)
	})
	if err != nil {
		if studio.ErrorCode(err) != studio.EInternal {
			return studio.Identity{}, err
		}
		return studio.Identity{}, fmt.Errorf("pgstore: activate: %w", err)
	}
	return id, nil
}

// Identity returns the user's active identity. Returns ENotFound.
func (s *Store) Identity(ctx context.Context, userID string) (studio.Identity, error) {
	id := studio.Identity{UserID: userID}
	var w float32
	err := s.pool.QueryRow(ctx,
		`SELECT lora_model_id, lora_version_id, weight, target_platform, updated_at FROM user_identity_active WHERE user_id = $1`,
		userID).Scan(&id.ModelID, &id.VersionID, &w, &id.TargetPlatform, &id.UpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return studio.Identity{}, studio.Errorf(studio.ENotFound, "no version is active; activate a ready version first")
	}
	if err != nil {
		return studio.Identity{}, fmt.Errorf("pgstore: identity: %w", err)
	}
	id.Weight = math.Round(float64(w)*1000) / 1000 // real keeps ~7 digits: 0.8 reads back as 0.800000011
	return id, nil
}
