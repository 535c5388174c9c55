package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/promptforge/lorastudio/backend/auth"
	"github.com/promptforge/lorastudio/backend/training"
	"github.com/promptforge/lorastudio/internal/studio"
	"github.com/promptforge/lorastudio/internal/wire"
	"github.com/promptforge/lorastudio/internal/worker"
)

// captioningProvider is stubProvider with a captioner, which no test
// here reaches (no River worker runs): the routes only ask whether the
// provider has one.
type captioningProvider struct{ stubProvider }

func (captioningProvider) Captions(context.Context, worker.CaptionJob) (worker.CaptionResult, error) {
	return worker.CaptionResult{}, errors.New("not reached: no River worker runs in these tests")
}

var _ training.Captioner = captioningProvider{}

// committedUser is validatedUser with its photo committed: a dataset the
// routes can caption. It returns the photo's id.
func (e *jobsEnv) committedUser(email string) (token, datasetID, photoID string) {
	e.t.Helper()
	ctx := context.Background()
	token, datasetID = e.validatedUser(email)
	uid, err := e.store.UserIDByToken(ctx, auth.HashToken(token))
	if err != nil {
		e.t.Fatal(err)
	}
	ups, err := e.store.Uploads(ctx, uid, datasetID)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.store.CommitItems(ctx, datasetID, ups); err != nil {
		e.t.Fatal(err)
	}
	_, items, err := e.store.Dataset(ctx, uid, datasetID)
	if err != nil || len(items) != 1 {
		e.t.Fatalf("dataset: %v, %d items", err, len(items))
	}
	return token, datasetID, items[0].ID
}

// The caption routes: PUT sets captions and answers the dataset with its
// new hash; POST autocaption queues a run (202) on a provider that
// captions, and while it is not finished edits, new runs and new jobs are
// refused with captioning_in_progress.
func TestCaptionRoutes(t *testing.T) {
	e := newJobsEnvWith(t, nil, captioningProvider{})
	tok, ds, photo := e.committedUser("cap@example.com")
	bobTok, bobDS, _ := e.committedUser("bob@example.com")
	noConsent := e.register("nc@example.com")
	put := func(tok, ds, photo, caption string) (int, string) {
		b, _ := json.Marshal(wire.CaptionsRequest{Captions: []wire.CaptionEdit{{PhotoID: photo, Caption: caption}}})
		code, _, body := e.req("PUT", "/api/lora/datasets/"+ds+"/captions", tok, string(b))
		return code, body
	}
	for _, tc := range []struct {
		name, tok, ds, photo, caption string
		status                        int
		code                          string
	}{
		{"no placeholder", tok, ds, photo, "a photo of a person", 422, studio.EInvalidCaption},
		{"two lines", tok, ds, photo, "{trigger}\nagain", 400, studio.EInvalidText},
		{"another user's dataset", bobTok, ds, photo, "{trigger}", 404, studio.ENotFound},
		{"a photo of another dataset", bobTok, bobDS, photo, "{trigger}", 404, studio.ENotFound},
		{"no consent", noConsent, ds, photo, "{trigger}", 403, studio.EConsentRequired},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := put(tc.tok, tc.ds, tc.photo, tc.caption)
			if status != tc.status || errorCode(t, body) != tc.code {
				t.Fatalf("got %d %s, want %d %s", status, body, tc.status, tc.code)
			}
		})
	}
	sum := strings.Repeat("ab", 32)
	for caption, want := range map[string]int{"a photo of a person": 422, "a photo of {trigger} person": 200} {
		init := `{"model_name":"me","files":[{"name":"x.jpg","size":10,"content_type":"image/jpeg","sha256":"` + sum + `","caption":"` + caption + `"}]}`
		if code, _, body := e.req("POST", "/api/lora/datasets/init", tok, init); code != want || code == 422 && errorCode(t, body) != studio.EInvalidCaption {
			t.Errorf("init with caption %q: %d %s, want %d", caption, code, body, want)
		}
	}
	_, _, before := e.req("GET", "/api/lora/datasets/"+ds, tok, "")
	var d0 wire.Dataset
	json.Unmarshal([]byte(before), &d0)
	status, body := put(tok, ds, photo, "a photo of {trigger} person, red scarf")
	var d1 wire.Dataset
	json.Unmarshal([]byte(body), &d1)
	if status != 200 || d1.Items[0].Caption != "a photo of {trigger} person, red scarf" || d1.Items[0].CaptionSource != studio.CaptionUser {
		t.Fatalf("PUT captions: %d %s", status, body)
	}
	want := studio.DatasetHash([]studio.HashItem{{SHA256: d1.Items[0].SHA256, Caption: d1.Items[0].Caption}})
	if d1.DatasetHash != want || d1.DatasetHash == d0.DatasetHash {
		t.Errorf("hash %s after the edit (before %s), want %s", d1.DatasetHash, d0.DatasetHash, want)
	}

	if code, _, body := e.req("POST", "/api/lora/datasets/"+ds+"/autocaption", tok, `{"template":"no placeholder"}`); code != 422 || errorCode(t, body) != studio.EInvalidCaption {
		t.Errorf("a template without {trigger}: %d %s", code, body)
	}
	code, _, body := e.req("POST", "/api/lora/datasets/"+ds+"/autocaption", tok, `{}`)
	var run wire.CaptionRun
	json.Unmarshal([]byte(body), &run)
	if code != http.StatusAccepted || run.Status != studio.CaptionRunQueued || run.RequestedAt.IsZero() {
		t.Fatalf("autocaption: %d %s", code, body)
	}
	var queued int
	e.store.Pool().QueryRow(context.Background(), `SELECT count(*) FROM river_job WHERE kind = 'lora_caption' AND args->>'dataset_id' = $1 AND args->>'template' = $2`,
		ds, training.DefaultCaptionTemplate).Scan(&queued)
	if queued != 1 {
		t.Errorf("%d lora_caption jobs queued with the default template, want 1", queued)
	}
	_, _, got := e.req("GET", "/api/lora/datasets/"+ds, tok, "")
	var d2 wire.Dataset
	json.Unmarshal([]byte(got), &d2)
	if d2.Captioning == nil || d2.Captioning.Status != studio.CaptionRunQueued {
		t.Errorf("GET dataset during the run: captioning %+v", d2.Captioning)
	}
	if status, body := put(tok, ds, photo, "{trigger}"); status != 409 || errorCode(t, body) != studio.ECaptioningInProgress {
		t.Errorf("PUT during the run: %d %s", status, body)
	}
	if code, _, body := e.req("POST", "/api/lora/datasets/"+ds+"/autocaption", tok, `{}`); code != 409 || errorCode(t, body) != studio.ECaptioningInProgress {
		t.Errorf("a second run: %d %s", code, body)
	}
	if code, _, body := e.req("POST", "/api/lora/jobs", tok, `{"dataset_id":"`+ds+`","base_model":"flux-dev"}`, "Idempotency-Key", "k1"); code != 409 || errorCode(t, body) != studio.ECaptioningInProgress {
		t.Errorf("a job during the run: %d %s", code, body)
	}
}

// A provider without a captioner (Replicate, the stub) answers
// captioner_unavailable, and queues nothing.
func TestAutoCaptionWithoutCaptioner(t *testing.T) {
	e := newJobsEnv(t, nil)
	tok, ds, _ := e.committedUser("nocap@example.com")
	code, _, body := e.req("POST", "/api/lora/datasets/"+ds+"/autocaption", tok, `{}`)
	if code != http.StatusServiceUnavailable || errorCode(t, body) != studio.ECaptionerUnavailable {
		t.Fatalf("got %d %s, want 503 %s", code, body, studio.ECaptionerUnavailable)
	}
	if n := e.count("river_job WHERE kind = 'lora_caption'"); n != 0 {
		t.Errorf("%d caption runs queued", n)
	}
}
