package localstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// DownloadRow is a trained LoRA downloaded to this computer and verified.
type DownloadRow struct {
	Account      string
	VersionID    string
	Filename     string // studio.LoRAFileName, as the server named it
	Path         string
	Size         int64
	SHA256       string // hex
	DownloadedAt time.Time
}

// SaveDownload records (or re-records) a verified download.
func (s *Store) SaveDownload(ctx context.Context, d DownloadRow) error {
	if d.DownloadedAt.IsZero() {
		d.DownloadedAt = s.Now()
	}
	_, err := s.db.ExecContext(ctx,
		`INSERT INTO lora_downloads (account, version_id, filename, path, size, sha256, downloaded_at)
		 VALUES (?, ?, ?, ?, ?, ?, ?)
		 ON CONFLICT (account, version_id) DO UPDATE SET filename = excluded.filename, path = excluded.path,
		   size = excluded.size, sha256 = excluded.sha256, downloaded_at = excluded.downloaded_at`,
		d.Account, d.VersionID, d.Filename, d.Path, d.Size, d.SHA256, d.DownloadedAt.UTC().Format(time.RFC3339Nano))
	if err != nil {
		return fmt.Errorf("localstore: save download: %w", err)
	}
	return nil
}

// Download returns the download of a version by an account. Returns
// ENotFound when it was never downloaded.
func (s *Store) Download(ctx context.Context, account, versionID string) (DownloadRow, error) {
	row := s.db.QueryRowContext(ctx,
		`SELECT account, version_id, filename, path, size, sha256, downloaded_at FROM lora_downloads
		 WHERE account = ? AND version_id = ?`, account, versionID)
	d, err := scanDownload(row)
	if errors.Is(err, sql.ErrNoRows) {
		return DownloadRow{}, notFoundErr("this version is not downloaded yet")
	}
	return d, err
}

// Downloads returns an account's downloads by version id.
func (s *Store) Downloads(ctx context.Context, account string) (map[string]DownloadRow, error) {
	rows, err := s.db.QueryContext(ctx,
		`SELECT account, version_id, filename, path, size, sha256, downloaded_at FROM lora_downloads WHERE account = ?`, account)
	if err != nil {
		return nil, fmt.Errorf("localstore: downloads: %w", err)
	}
	defer rows.Close()
	out := map[string]DownloadRow{}
	for rows.Next() {
		d, err := scanDownload(rows)
		if err != nil {
			return nil, err
		}
		out[d.VersionID] = d
	}
	return out, rows.Err()
}

func scanDownload(r interface{ Scan(...any) error }) (DownloadRow, error) {
	var d DownloadRow
	var at string
	if err := r.Scan(&d.Account, &d.VersionID, &d.Filename, &d.Path, &d.Size, &d.SHA256, &at); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return d, err
		}
		return d, fmt.Errorf("localstore: download: %w", err)
	}
	d.DownloadedAt, _ = time.Parse(time.RFC3339Nano, at)
	return d, nil
}

// InstallRow is a copy of a downloaded LoRA this app put in a generator's
// folder.
type InstallRow struct {
	Path      string
	Account   string
	VersionID string
	SHA256    string // hex, of the bytes copied
}

// SaveInstall records a copy made at r.Path (replacing an older record of
// that path).
func (s *Store) SaveInstall(ctx context.Context, r InstallRow) error {
	_, err := s.db.ExecContext(ctx,
		`INSERT INTO lora_installs (path, account, version_id, sha256, installed_at) VALUES (?, ?, ?, ?, ?)
		 ON CONFLICT (path) DO UPDATE SET account = excluded.account, version_id = excluded.version_id,
		   sha256 = excluded.sha256, installed_at = excluded.installed_at`,
		r.Path, r.Account, r.VersionID, r.SHA256, s.Now().UTC().Format(time.RFC3339Nano))
	if err != nil {
		return fmt.Errorf("localstore: save install: %w", err)
	}
	return nil
}

// LoRAFiles lists every downloaded and installed LoRA of every account:
// what a consent withdrawal erases from this computer.
func (s *Store) LoRAFiles(ctx context.Context) (downloads []DownloadRow, installs []InstallRow, err error) {
	rows, err := s.db.QueryContext(ctx, `SELECT account, version_id, filename, path, size, sha256, downloaded_at FROM lora_downloads`)
	if err != nil {
		return nil, nil, fmt.Errorf("localstore: lora files: %w", err)
	}
	for rows.Next() {
		d, err := scanDownload(rows)
		if err != nil {
			rows.Close()
			return nil, nil, err
		}
		downloads = append(downloads, d)
	}
	rows.Close()
	irows, err := s.db.QueryContext(ctx, `SELECT path, account, version_id, sha256 FROM lora_installs`)
	if err != nil {
		return nil, nil, fmt.Errorf("localstore: lora files: %w", err)
	}
	defer irows.Close()
	for irows.Next() {
		var r InstallRow
		if err := irows.Scan(&r.Path, &r.Account, &r.VersionID, &r.SHA256); err != nil {
			return nil, nil, err
		}
		installs = append(installs, r)
	}
	return downloads, installs, irows.Err()
}

// ForgetLoRAFiles drops every download and install record.
func (s *Store) ForgetLoRAFiles(ctx context.Context) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("localstore: forget lora files: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM lora_downloads`); err != nil {
		return fmt.Errorf("localstore: forget lora files: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM lora_installs`); err != nil {
		return fmt.Errorf("localstore: forget lora files: %w", err)
	}
	return tx.Commit()
}
