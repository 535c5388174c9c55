package pgstore

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/jackc/pgx/v5"

	"github.com/promptforge/lorastudio/internal/studio"
)

const versionCols = `id, lora_model_id, coalesce(dataset_id::text, ''), version_number, base_model, params_json, dataset_hash, status, artifact_url, artifact_sha256, created_at`

func scanVersion(row pgx.Row) (studio.Version, error) {
	var v studio.Version
	var params []byte
	err := row.Scan(&v.ID, &v.ModelID, &v.DatasetID, &v.Number, &v.BaseModel, &params, &v.DatasetHash, &v.Status, &v.ArtifactURL, &v.ArtifactSHA256, &v.CreatedAt)
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
			return studio.Errorf("version_not_ready", "version %s is %s; only a ready version can be activated", versionID, status)
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
