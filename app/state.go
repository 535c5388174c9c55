package app

import (
	"encoding/json"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/promptforge/lorastudio/app/localstore"
	"github.com/promptforge/lorastudio/app/photos"
	"github.com/promptforge/lorastudio/internal/studio"
)

// The counts the dataset screen measures against.
const (
	MinPhotos            = 15
	RecommendedMinPhotos = 20
	RecommendedMaxPhotos = 30
)

// DatasetItem is a photo as the dataset screen shows it.
type DatasetItem struct {
	localstore.Item
	ThumbURL string `json:"thumb_url"`
}

// Gate says whether an action is allowed and, when not, why in words.
type Gate struct {
	Allowed bool   `json:"allowed"`
	Reason  string `json:"reason,omitempty"`
}

// DatasetState is everything the dataset screen needs, read in one call so
// the UI shows the truth after a restart.
type DatasetState struct {
	DatasetID string          `json:"dataset_id"`
	Status    string          `json:"status"` // draft until validated; validated or rejected after
	Items     []DatasetItem   `json:"items"`
	Report    json.RawMessage `json:"report"` // the last report, or null when the photos changed since
	Min       int             `json:"min"`
	RecMin    int             `json:"recommended_min"`
	RecMax    int             `json:"recommended_max"`
	Training  Gate            `json:"training"`
	// CaptionTemplate is the caption of a photo without one of its own.
	CaptionTemplate string `json:"caption_template"`
}

// Dataset returns the draft dataset's photos, last report and whether
// training may start.
func (a *DatasetService) Dataset() (DatasetState, error) {
	ds, err := a.store.DraftDataset(a.ctx)
	if err != nil {
		return DatasetState{}, a.fail("read dataset", err)
	}
	items, err := a.store.Items(a.ctx, ds)
	if err != nil {
		return DatasetState{}, a.fail("read dataset", err)
	}
	rep, status, err := a.store.Report(a.ctx, ds)
	if err != nil {
		return DatasetState{}, a.fail("read dataset", err)
	}
	st := DatasetState{DatasetID: ds, Status: status, Report: rep, Min: MinPhotos, RecMin: RecommendedMinPhotos,
		RecMax: RecommendedMaxPhotos, Items: make([]DatasetItem, len(items)), CaptionTemplate: DefaultCaptionTemplate}
	for i, it := range items {
		st.Items[i] = DatasetItem{Item: it, ThumbURL: "/thumbs/" + ds + "/" + it.SHA256 + ".jpg"}
	}
	st.Training = a.trainingGate(status, len(items))
	return st, nil
}

// trainingGate is the rule behind the "Start training" button; its reason
// is shown on the disabled button.
func (a *DatasetService) trainingGate(status string, n int) Gate {
	switch err := a.requireConsent(a.ctx); {
	case studio.ErrorCode(err) == studio.EConsentRequired:
		return Gate{Reason: "Give consent first."}
	case err != nil:
		return Gate{Reason: studio.ErrorMessage(err)}
	}
	switch {
	case n < MinPhotos:
		return Gate{Reason: "Add at least 15 photos, then validate."}
	case status == studio.DatasetDraft:
		return Gate{Reason: "Validate the dataset first."}
	case status == studio.DatasetRejected:
		return Gate{Reason: "Fix the errors the validation found, then validate again."}
	}
	// Training runs on a GPU behind the LoRA Studio server: without an
	// account on one there is nowhere to train.
	if !a.Account.Account().SignedIn {
		return Gate{Reason: "Sign in to a LoRA Studio server to train."}
	}
	if !a.syncedValid(n) {
		return Gate{Reason: "Upload your photos to the server first (Sync)."}
	}
	ds, err := a.store.DraftDataset(a.ctx)
	if err != nil {
		return Gate{Reason: studio.ErrorMessage(err)}
	}
	st, err := a.captionState(a.ctx, ds)
	if err != nil {
		return Gate{Reason: studio.ErrorMessage(err)}
	}
	return st.Ready
}

// FileHandler serves the thumbnails of imported photos to the webview, from
// the data folder only; Wails calls it for paths its assets do not have.
func FileHandler(a *App) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rest, ok := strings.CutPrefix(path.Clean(r.URL.Path), "/thumbs/")
		parts := strings.Split(rest, "/")
		if !ok || len(parts) != 2 || !plainName(parts[0]) || !plainName(parts[1]) || !strings.HasSuffix(parts[1], ".jpg") {
			http.NotFound(w, r)
			return
		}
		p := photos.Folder{Dir: filepath.Join(a.dataDir, "datasets", parts[0])}.ThumbPath(strings.TrimSuffix(parts[1], ".jpg"))
		if _, err := os.Stat(p); err != nil {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "private, max-age=3600") // named by content hash: never changes
		http.ServeFile(w, r, p)
	})
}

// plainName accepts the ids and hex names the app itself makes, so no path
// from a request can leave the thumbnails folder.
func plainName(s string) bool {
	if s == "" || len(s) > 80 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'f' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == 'j' || c == 'p' || c == 'g') {
			return false
		}
	}
	return !strings.Contains(s, "..")
}

// syncedValid reports whether the draft dataset's last upload finished and
// the server's own validation passed it.
func (a *DatasetService) syncedValid(n int) bool {
	c, err := a.signedIn()
	if err != nil {
		return false
	}
	up, err := a.uploader(c)
	if err != nil {
		return false
	}
	ds, err := a.store.DraftDataset(a.ctx)
	if err != nil {
		return false
	}
	s, err := up.Latest(a.ctx, ds)
	return err == nil && s.State == "validated" && s.Files == n
}
