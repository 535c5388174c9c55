package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/promptforge/lorastudio/backend/blob"
	"github.com/promptforge/lorastudio/internal/studio"
	"github.com/promptforge/lorastudio/internal/wire"
)

type presignIn struct{ Body wire.PresignRequest }

type presignOut struct{ Body wire.Uploads }

// registerPresign adds the renewal of upload URLs, so that an upload
// resumed after its URLs expired goes on instead of starting over.
func (s *Server) registerPresign() {
	register(s, huma.Operation{
		OperationID: "datasets-presign", Method: http.MethodPost, Path: "/api/lora/datasets/presign",
		Summary:  "Re-sign the upload URLs of declared, uncommitted files (expired URLs are renewed, not fatal)",
		Security: bearer, Metadata: map[string]any{"rate_limit": "upload"}, Tags: []string{"datasets"},
	}, s.presignDataset)
}

// presignDataset answers, for each file in the order given, the same shape
// as datasets/init: a new PUT for a single upload, or the requested parts
// of the same multipart upload (its upload id and part size unchanged, so
// parts already sent stay valid). Returns ENotFound for another user's
// dataset, unknown_upload for a key init did not declare, EConflict for a
// file already committed, EInvalid for a part out of range, and
// quota_exceeded when the user holds more than the quota allows.
func (s *Server) presignDataset(ctx context.Context, in *presignIn) (*presignOut, error) {
	if err := s.requireConsent(ctx); err != nil {
		return nil, err
	}
	if s.cfg.Blobs == nil {
		return nil, studio.Errorf(studio.EStorageUnavailable, "this server has no storage configured")
	}
	// The files were counted at init; refuse them once over a lowered quota.
	if err := s.cfg.Store.CheckQuota(ctx, userID(ctx), s.cfg.Quota); err != nil {
		return nil, err
	}
	ups, err := s.cfg.Store.Uploads(ctx, userID(ctx), in.Body.DatasetID)
	if err != nil {
		return nil, err
	}
	out := &presignOut{}
	out.Body.DatasetID = in.Body.DatasetID
	for _, f := range in.Body.Files {
		var found bool
		for _, u := range ups {
			if u.Key != f.Key {
				continue
			}
			found = true
			if u.Committed {
				return nil, studio.Errorf(studio.EConflict, "%s is already committed; nothing to upload", u.Name)
			}
			o := blob.Object{Key: u.Key, Size: u.Size, ContentType: u.ContentType, SHA256: u.SHA256}
			uo := wire.Upload{Name: u.Name, Key: u.Key}
			if u.UploadID == "" {
				if len(f.Parts) > 0 {
					return nil, studio.Errorf(studio.EInvalid, "%s is a single upload: it has no parts", u.Name)
				}
				req, err := s.cfg.Blobs.PresignPut(ctx, o, s.cfg.UploadTTL)
				if err != nil {
					return nil, studio.Wrap(err, studio.EStorageUnavailable, "could not presign the upload of "+u.Name+"; try again")
				}
				exp := req.Expires
				uo.Method, uo.URL, uo.Headers, uo.ExpiresAt = req.Method, req.URL, req.Headers, &exp
			} else {
				numbers := f.Parts
				if len(numbers) == 0 {
					_, count, err := blob.PlanParts(u.Size, u.PartSize)
					if err != nil {
						return nil, err
					}
					for n := 1; n <= count; n++ {
						numbers = append(numbers, n)
					}
				}
				parts, err := s.cfg.Blobs.PresignParts(ctx, o, u.UploadID, u.PartSize, numbers, s.cfg.UploadTTL)
				switch studio.ErrorCode(err) {
				case "":
				case studio.EInvalid:
					return nil, err
				case studio.ENotFound:
					// Completed by a commit that stopped before recording it.
					return nil, studio.Errorf(studio.EConflict, "the upload of %s was already completed; commit it", u.Name)
				default:
					return nil, studio.Wrap(err, studio.EStorageUnavailable, "could not presign the parts of "+u.Name+"; try again")
				}
				uo.Multipart = multipartOut(u.UploadID, u.PartSize, parts)
			}
			out.Body.Uploads = append(out.Body.Uploads, uo)
			break
		}
		if !found {
			return nil, studio.Errorf(studio.EUnknownUpload, "%s was not declared in this dataset's init", f.Key)
		}
	}
	return out, nil
}
