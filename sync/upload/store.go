package upload

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/promptforge/lorastudio/internal/studio"
	"github.com/promptforge/lorastudio/internal/wire"
)

// file is one photo of a session.
type file struct {
	position    int
	name        string
	source      string
	path        string // the stripped copy
	size        int64
	sha256      string
	contentType string
	caption     string // declared at init; recorded so a resumed init sends it too
	key         string
	multipartID string
	partSize    int64
}

// part is one presigned request: number 0 for a single PUT.
type part struct {
	pos     int
	number  int
	offset  int64
	size    int64
	method  string
	url     string
	headers map[string]string
	expires time.Time
	gen     int // the renewal generation that signed url

	attempts int
	etag     string
	acked    bool
}

type session struct {
	id, ref, modelName, baseModel string
	minRes                        int
	datasetID, state              string
	report                        string
	total                         Stats // before this run
	files                         []*file
	parts                         []*part
}

const timeFormat = "2006-01-02T15:04:05.000Z07:00"

func (u *Uploader) now() string { return u.cfg.Now().UTC().Format(timeFormat) }

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// validID guards the path of a session's folder.
func validID(id string) bool {
	if len(id) != 32 {
		return false
	}
	_, err := hex.DecodeString(id)
	return err == nil
}

func (u *Uploader) insertSession(ctx context.Context, id string, req Request, files []file, total int64) error {
	tx, err := u.cfg.DB.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("upload: %w", err)
	}
	defer tx.Rollback()
	now := u.now()
	if _, err := tx.ExecContext(ctx,
		`INSERT INTO sync_uploads (id, dataset_ref, model_name, base_model, min_resolution, state, bytes_total, created_at, updated_at)
		 VALUES (?, ?, ?, ?, ?, 'prepared', ?, ?, ?)`,
		id, req.Ref, req.ModelName, req.BaseModel, req.MinResolution, total, now, now); err != nil {
		return fmt.Errorf("upload: record session: %w", err)
	}
	for _, f := range files {
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO sync_upload_files (upload_id, position, name, source_path, stripped_path, size_bytes, sha256, content_type, caption)
			 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			id, f.position, f.name, f.source, f.path, f.size, f.sha256, f.contentType, f.caption); err != nil {
			return fmt.Errorf("upload: record file: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("upload: record session: %w", err)
	}
	return nil
}

func (u *Uploader) load(ctx context.Context, id string) (*session, error) {
	s := &session{id: id}
	var report sql.NullString
	err := u.cfg.DB.QueryRowContext(ctx,
		`SELECT dataset_ref, model_name, base_model, min_resolution, dataset_id, state, report_json,
		        bytes_total, bytes_sent, bytes_resent, renewals
		 FROM sync_uploads WHERE id = ?`, id).Scan(&s.ref, &s.modelName, &s.baseModel, &s.minRes, &s.datasetID, &s.state, &report,
		&s.total.BytesTotal, &s.total.BytesSent, &s.total.BytesResent, &s.total.Renewals)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, studio.Errorf(studio.ENotFound, "no upload %s", id)
	}
	if err != nil {
		return nil, fmt.Errorf("upload: load: %w", err)
	}
	s.report = report.String
	rows, err := u.cfg.DB.QueryContext(ctx,
		`SELECT position, name, source_path, stripped_path, size_bytes, sha256, content_type, caption, storage_key, multipart_id, part_size
		 FROM sync_upload_files WHERE upload_id = ? ORDER BY position`, id)
	if err != nil {
		return nil, fmt.Errorf("upload: load files: %w", err)
	}
	for rows.Next() {
		f := &file{}
		if err := rows.Scan(&f.position, &f.name, &f.source, &f.path, &f.size, &f.sha256, &f.contentType, &f.caption, &f.key, &f.multipartID, &f.partSize); err != nil {
			rows.Close()
			return nil, fmt.Errorf("upload: load files: %w", err)
		}
		s.files = append(s.files, f)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("upload: load files: %w", err)
	}
	rows, err = u.cfg.DB.QueryContext(ctx,
		`SELECT position, number, offset_bytes, size_bytes, method, url, headers_json, expires_at, attempts, etag, acked_at IS NOT NULL
		 FROM sync_upload_parts WHERE upload_id = ? ORDER BY position, number`, id)
	if err != nil {
		return nil, fmt.Errorf("upload: load parts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		p := &part{}
		var hdr, exp string
		if err := rows.Scan(&p.pos, &p.number, &p.offset, &p.size, &p.method, &p.url, &hdr, &exp, &p.attempts, &p.etag, &p.acked); err != nil {
			return nil, fmt.Errorf("upload: load parts: %w", err)
		}
		if err := json.Unmarshal([]byte(hdr), &p.headers); err != nil {
			return nil, fmt.Errorf("upload: load parts: %w", err)
		}
		p.expires, _ = time.Parse(timeFormat, exp)
		s.parts = append(s.parts, p)
	}
	return s, rows.Err()
}

// partsOf turns one upload of the server's answer into parts of file f.
func partsOf(f *file, up wire.Upload) ([]*part, error) {
	if up.Multipart == nil {
		if up.URL == "" {
			return nil, fmt.Errorf("upload: the server gave no URL for %s", f.name)
		}
		p := &part{pos: f.position, number: 0, offset: 0, size: f.size, method: up.Method, url: up.URL, headers: up.Headers}
		if up.ExpiresAt != nil {
			p.expires = *up.ExpiresAt
		}
		return []*part{p}, nil
	}
	var ps []*part
	for _, mp := range up.Multipart.Parts {
		off := int64(mp.Number-1) * up.Multipart.PartSize
		if mp.Number < 1 || off+mp.Size > f.size || mp.Size <= 0 {
			return nil, fmt.Errorf("upload: part %d of %s is out of the file", mp.Number, f.name)
		}
		ps = append(ps, &part{pos: f.position, number: mp.Number, offset: off, size: mp.Size, method: mp.Method, url: mp.URL,
			headers: mp.Headers, expires: expiryOf(mp.URL)})
	}
	return ps, nil
}

// expiryOf reads a part URL's expiry when it says it (the local store's
// "expires" and S3's X-Amz-Date + X-Amz-Expires); zero when unknown, in
// which case only a 403 tells.
func expiryOf(raw string) time.Time {
	u, err := parseURL(raw)
	if err != nil {
		return time.Time{}
	}
	q := u.Query()
	if e := q.Get("expires"); e != "" {
		if n, err := parseInt(e); err == nil {
			return time.Unix(n, 0)
		}
	}
	if d, e := q.Get("X-Amz-Date"), q.Get("X-Amz-Expires"); d != "" && e != "" {
		t, err1 := time.Parse("20060102T150405Z", d)
		n, err2 := parseInt(e)
		if err1 == nil && err2 == nil {
			return t.Add(time.Duration(n) * time.Second)
		}
	}
	return time.Time{}
}

// saveInit records the server's dataset and every URL in one transaction.
func (u *Uploader) saveInit(ctx context.Context, s *session, datasetID string, parts []*part) error {
	tx, err := u.cfg.DB.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("upload: %w", err)
	}
	defer tx.Rollback()
	for _, f := range s.files {
		if _, err := tx.ExecContext(ctx,
			`UPDATE sync_upload_files SET storage_key = ?, multipart_id = ?, part_size = ? WHERE upload_id = ? AND position = ?`,
			f.key, f.multipartID, f.partSize, s.id, f.position); err != nil {
			return fmt.Errorf("upload: record init: %w", err)
		}
	}
	for _, p := range parts {
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO sync_upload_parts (upload_id, position, number, offset_bytes, size_bytes, method, url, headers_json, expires_at)
			 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			s.id, p.pos, p.number, p.offset, p.size, p.method, p.url, jsonString(p.headers), formatTime(p.expires)); err != nil {
			return fmt.Errorf("upload: record init: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE sync_uploads SET dataset_id = ?, state = 'uploading', updated_at = ? WHERE id = ?`,
		datasetID, u.now(), s.id); err != nil {
		return fmt.Errorf("upload: record init: %w", err)
	}
	return tx.Commit()
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(timeFormat)
}

// markAttempt records that a send of p starts, before a byte leaves: after
// a crash, its bytes count as re-sent.
func (u *Uploader) markAttempt(ctx context.Context, sid string, p *part) error {
	_, err := u.cfg.DB.ExecContext(ctx,
		`UPDATE sync_upload_parts SET attempts = attempts + 1 WHERE upload_id = ? AND position = ? AND number = ?`, sid, p.pos, p.number)
	if err != nil {
		return fmt.Errorf("upload: record attempt: %w", err)
	}
	return nil
}

// ack records an acknowledged part with its ETag.
func (u *Uploader) ack(ctx context.Context, sid string, p *part, etag string) error {
	_, err := u.cfg.DB.ExecContext(ctx,
		`UPDATE sync_upload_parts SET etag = ?, acked_at = ? WHERE upload_id = ? AND position = ? AND number = ?`,
		etag, u.now(), sid, p.pos, p.number)
	if err != nil {
		return fmt.Errorf("upload: record acknowledged part: %w", err)
	}
	return nil
}

// saveURLs records renewed URLs.
func (u *Uploader) saveURLs(ctx context.Context, sid string, parts []*part) error {
	tx, err := u.cfg.DB.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("upload: %w", err)
	}
	defer tx.Rollback()
	for _, p := range parts {
		if _, err := tx.ExecContext(ctx,
			`UPDATE sync_upload_parts SET method = ?, url = ?, headers_json = ?, expires_at = ? WHERE upload_id = ? AND position = ? AND number = ?`,
			p.method, p.url, jsonString(p.headers), formatTime(p.expires), sid, p.pos, p.number); err != nil {
			return fmt.Errorf("upload: record renewed urls: %w", err)
		}
	}
	return tx.Commit()
}

func (u *Uploader) setState(ctx context.Context, sid, state, report string) error {
	_, err := u.cfg.DB.ExecContext(ctx,
		`UPDATE sync_uploads SET state = ?, report_json = coalesce(?, report_json), last_error = '', updated_at = ? WHERE id = ?`,
		state, nullString(report), u.now(), sid)
	if err != nil {
		return fmt.Errorf("upload: record state: %w", err)
	}
	return nil
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// saveStats adds a run's byte counts to the session's, with its error.
func (u *Uploader) saveStats(ctx context.Context, r *run, lastErr string) error {
	st := r.stats()
	_, err := u.cfg.DB.ExecContext(ctx,
		`UPDATE sync_uploads SET bytes_sent = bytes_sent + ?, bytes_resent = bytes_resent + ?, renewals = renewals + ?,
		 last_error = ?, updated_at = ? WHERE id = ?`,
		st.BytesSent, st.BytesResent, st.Renewals, lastErr, u.now(), r.s.id)
	if err != nil {
		return fmt.Errorf("upload: record stats: %w", err)
	}
	return nil
}

func (u *Uploader) sessions(ctx context.Context, where string, args ...any) ([]Session, error) {
	rows, err := u.cfg.DB.QueryContext(ctx,
		`SELECT s.id, s.dataset_ref, s.model_name, s.dataset_id, s.state, s.bytes_total, s.bytes_sent, s.bytes_resent, s.renewals,
		        s.last_error, s.created_at,
		        (SELECT count(*) FROM sync_upload_files f WHERE f.upload_id = s.id),
		        (SELECT coalesce(sum(p.size_bytes), 0) FROM sync_upload_parts p WHERE p.upload_id = s.id AND p.acked_at IS NOT NULL)
		 FROM sync_uploads s `+where+` ORDER BY s.created_at, s.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("upload: sessions: %w", err)
	}
	defer rows.Close()
	out := []Session{}
	for rows.Next() {
		var s Session
		if err := rows.Scan(&s.ID, &s.Ref, &s.ModelName, &s.DatasetID, &s.State, &s.Total.BytesTotal, &s.Total.BytesSent,
			&s.Total.BytesResent, &s.Total.Renewals, &s.LastError, &s.CreatedAt, &s.Files, &s.Acked); err != nil {
			return nil, fmt.Errorf("upload: sessions: %w", err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
