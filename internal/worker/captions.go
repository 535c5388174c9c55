package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/promptforge/lorastudio/internal/studio"
)

// captionFailed is the worker's code for a captioner that ran and failed
// (non-zero exit, a photo left without its .txt): retrying will not help.
// downloadFailed is a photo that could not be fetched or did not match.
const (
	captionFailed  = "captioner_failed"
	downloadFailed = "download_failed"
)

// captions serves POST /captions: verifies the request like a dispatch,
// downloads and checks the photos into a folder of its own as NNN.ext,
// runs the captioner over it and answers each photo's NNN.txt. The
// folder is removed afterwards: the photos stay only where training needs
// them.
func (w *Worker) captions(rw http.ResponseWriter, r *http.Request) {
	body, ok := w.readSigned(rw, r)
	if !ok {
		return
	}
	if len(w.cfg.Captioner) == 0 {
		refuse(rw, http.StatusNotImplemented, studio.ECaptionerUnavailable,
			"this worker has no captioner; set LORASTUDIO_WORKER_CAPTIONER on the GPU box (see lorastudio worker --help)")
		return
	}
	var j CaptionJob
	if err := json.Unmarshal(body, &j); err != nil {
		refuse(rw, http.StatusBadRequest, "invalid", "the caption job is not JSON: "+err.Error())
		return
	}
	if len(j.Items) == 0 || len(j.Items) > studio.MaxDatasetPhotos {
		refuse(rw, http.StatusUnprocessableEntity, "invalid", fmt.Sprintf("a caption job has 1 to %d photos", studio.MaxDatasetPhotos))
		return
	}
	select {
	case w.captioning <- struct{}{}:
		defer func() { <-w.captioning }()
	case <-r.Context().Done():
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), w.cfg.CaptionTimeout)
	defer cancel()
	res, err := w.caption(ctx, j)
	var ce *captionError
	switch {
	case err == nil:
		writeJSON(rw, http.StatusOK, res)
	case errors.As(err, &ce):
		w.cfg.Log.Warn("captioning failed", "dataset_id", j.DatasetID, "err", err)
		refuse(rw, ce.status, ce.code, studio.CleanText(ce.msg, 2000))
	default:
		w.cfg.Log.Error("captioning failed", "dataset_id", j.DatasetID, "err", err)
		refuse(rw, http.StatusInternalServerError, "internal", studio.CleanText(err.Error(), 2000))
	}
}

type captionError struct {
	status    int
	code, msg string
}

func (e *captionError) Error() string { return e.code + ": " + e.msg }

// captionsDir holds the photos of the captionings in progress, under the
// work dir (private to the worker), named so no dispatch key can name it
// (keys have no dot).
const captionsDir = ".captions"

func (w *Worker) caption(ctx context.Context, j CaptionJob) (CaptionResult, error) {
	parent := filepath.Join(w.cfg.WorkDir, captionsDir)
	if err := os.MkdirAll(parent, 0o700); err != nil {
		return CaptionResult{}, err
	}
	dir, err := os.MkdirTemp(parent, "run-")
	if err != nil {
		return CaptionResult{}, err
	}
	defer os.RemoveAll(dir)
	images := filepath.Join(dir, "images")
	if err := os.Mkdir(images, 0o700); err != nil {
		return CaptionResult{}, err
	}
	stems := make([]string, len(j.Items))
	for i, it := range j.Items {
		stems[i] = fmt.Sprintf("%03d", i+1)
		if err := w.download(ctx, it, filepath.Join(images, stems[i]+photoExt(it.Name))); err != nil {
			return CaptionResult{}, &captionError{http.StatusBadGateway, downloadFailed, fmt.Sprintf("photo %d: %v", i+1, err)}
		}
	}
	if err := w.runCaptioner(ctx, dir, images); err != nil {
		return CaptionResult{}, err
	}
	out := CaptionResult{Captions: make([]ItemCaption, len(j.Items))}
	for i, it := range j.Items {
		b, err := os.ReadFile(filepath.Join(images, stems[i]+".txt"))
		if errors.Is(err, fs.ErrNotExist) {
			return CaptionResult{}, &captionError{http.StatusUnprocessableEntity, captionFailed,
				fmt.Sprintf("the captioner wrote no caption for photo %d (%s.txt)", i+1, stems[i])}
		}
		if err != nil {
			return CaptionResult{}, err
		}
		text := strings.Join(strings.Fields(studio.CleanText(string(b), studio.MaxCaption)), " ")
		out.Captions[i] = ItemCaption{Name: it.Name, Text: text}
	}
	return out, nil
}

// runCaptioner runs the captioner over images, its output kept for the
// error message.
func (w *Worker) runCaptioner(ctx context.Context, dir, images string) error {
	args := append(append([]string{}, w.cfg.Captioner...), images)
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Dir = dir
	cmd.WaitDelay = 3 * time.Second
	cmd.Env = append(append(os.Environ(), w.cfg.Env...), "LORASTUDIO_DATASET_DIR="+images)
	var tail tailBuffer
	cmd.Stdout, cmd.Stderr = &tail, &tail
	err := cmd.Run()
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return &captionError{http.StatusGatewayTimeout, captionFailed, fmt.Sprintf("the captioner took longer than %s", w.cfg.CaptionTimeout)}
	default:
		return &captionError{http.StatusUnprocessableEntity, captionFailed, fmt.Sprintf("the captioner failed (%v): %s", err, tail.String())}
	}
}

// tailBuffer keeps the last 2 KiB written to it.
type tailBuffer struct{ b []byte }

const tailMax = 2 << 10

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if len(t.b) > tailMax {
		t.b = t.b[len(t.b)-tailMax:]
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	return strings.Join(strings.Fields(strings.ToValidUTF8(string(t.b), "")), " ")
}
