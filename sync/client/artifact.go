package client

import (
	"context"
	"net/http"
	"net/url"

	"github.com/promptforge/lorastudio/internal/studio"
)

// Artifact returns a short-lived download URL of a ready version's
// .safetensors with its sha256, size and the file name to save it under
// (the URL accepts Range requests: resume a broken download from the
// bytes already saved, and ask again once ExpiresAt has passed). Returns
// ENotFound for another user's or an unknown version and
// version_not_ready for one still training or failed.
func (c *Client) Artifact(ctx context.Context, versionID string) (studio.Artifact, error) {
	var out studio.Artifact
	return out, c.Do(ctx, http.MethodGet, "/api/lora/versions/"+url.PathEscape(versionID)+"/artifact", nil, nil, &out)
}
