package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/promptforge/lorastudio/app/localstore"
	"github.com/promptforge/lorastudio/internal/studio"
	"github.com/promptforge/lorastudio/internal/wire"
	"github.com/promptforge/lorastudio/sync/client"
	"github.com/promptforge/lorastudio/sync/upload"
)

// Captions (#17): every photo has a caption the user reads and edits here,
// stored first in SQLite so nothing typed is lost, declared with the photo
// at upload, and sent to the server when edited after it. The server's
// captioner can suggest captions; they come back here marked as
// suggestions, and training waits until the user has reviewed them.

// DefaultCaptionTemplate is the caption of a photo without one of its
// own: the template every server preset starts from
// (backend/training.DefaultCaptionTemplate).
const DefaultCaptionTemplate = "a photo of {trigger} person"

// EventCaptionProgress carries a wire.CaptionRun while the server's
// captioner works, and once more when it has finished.
const EventCaptionProgress = "dataset:captions"

// CaptionState is what the captions review shows beside the photos.
type CaptionState struct {
	// Run is the last auto-caption run as the server last reported it.
	Run *wire.CaptionRun `json:"run,omitempty"`
	// Uploaded says the photos are on the server: suggestions can be
	// asked for, and edits are sent there.
	Uploaded bool `json:"uploaded"`
	// Suggested counts the captioner's captions not yet reviewed; Unsent
	// the edits made after the upload the server does not have yet.
	Suggested int `json:"suggested"`
	Unsent    int `json:"unsent"`
	// Template is the caption of a photo without one of its own.
	Template string `json:"template"`
	// Ready says whether the captions let training start, and why not.
	Ready Gate `json:"ready"`
}

// inProgress reports whether a run is queued or running.
func inProgress(r *wire.CaptionRun) bool {
	return r != nil && (r.Status == studio.CaptionRunQueued || r.Status == studio.CaptionRunRunning)
}

// SetCaption saves one photo's caption (naming the person as {trigger};
// empty for the template) on this computer, then, when the photos are
// already on the server, sends it there. An edit the server cannot take
// now (offline, or its captioner is busy) stays here marked unsent and
// goes with the next "Use these captions"; it is never lost.
func (a *DatasetService) SetCaption(itemID, caption string) (localstore.Item, error) {
	ctx := a.ctx
	if err := studio.CheckCaption(caption); err != nil {
		return localstore.Item{}, a.fail("set caption", err)
	}
	ds, err := a.store.DraftDataset(ctx)
	if err != nil {
		return localstore.Item{}, a.fail("set caption", err)
	}
	it, err := a.store.SetCaption(ctx, ds, itemID, caption, false)
	if err != nil {
		return localstore.Item{}, a.fail("set caption", err)
	}
	c, err := a.signedIn()
	if err != nil {
		return it, nil // signed out: the upload declares it
	}
	rctx, cancel := a.readCtx()
	defer cancel()
	if _, err := a.pushCaptions(rctx, c, ds); err != nil {
		switch code := studio.ErrorCode(err); code {
		case studio.EUnavailable, studio.ECaptioningInProgress, studio.ECanceled, studio.EInternal:
			a.log.Warn("caption kept here, not sent yet", "item", itemID, "err", err)
		default:
			return it, a.fail("set caption", reword(err, "your caption is saved on this computer, but the server refused it: %s"))
		}
	}
	return a.item(ctx, ds, itemID)
}

// item reads one photo back.
func (a *DatasetService) item(ctx context.Context, ds, id string) (localstore.Item, error) {
	items, err := a.store.Items(ctx, ds)
	if err != nil {
		return localstore.Item{}, a.fail("set caption", err)
	}
	for _, it := range items {
		if it.ID == id {
			return it, nil
		}
	}
	return localstore.Item{}, a.fail("set caption", studio.Errorf(studio.ENotFound, "no photo %s in this dataset", id))
}

// Captions returns the state of the captions. When a run of the server's
// captioner was under way (the app may have been closed since), it asks
// the server once, and brings its captions here if it has finished.
func (a *DatasetService) Captions() (CaptionState, error) {
	ctx := a.ctx
	ds, err := a.store.DraftDataset(ctx)
	if err != nil {
		return CaptionState{}, a.fail("captions", err)
	}
	if run, err := a.store.CaptionRun(ctx, ds); err == nil && inProgress(run) {
		if c, err := a.signedIn(); err == nil {
			rctx, cancel := a.readCtx()
			if _, err := a.checkRun(rctx, c, ds); err != nil {
				a.log.Warn("caption run not checked", "err", err)
			}
			cancel()
		}
	}
	st, err := a.captionState(ctx, ds)
	if err != nil {
		return CaptionState{}, a.fail("captions", err)
	}
	return st, nil
}

// SuggestCaptions asks the server's captioner (on the training provider's
// worker) to describe every uploaded photo, waits for it while emitting
// EventCaptionProgress, and brings its captions here as suggestions to
// review. Captions the user wrote are kept unless overwrite. A run already
// under way is followed rather than started again.
func (a *DatasetService) SuggestCaptions(overwrite bool) (CaptionState, error) {
	ctx := a.ctx
	c, err := a.signedIn()
	if err != nil {
		return CaptionState{}, a.fail("suggest captions", err)
	}
	ds, err := a.store.DraftDataset(ctx)
	if err != nil {
		return CaptionState{}, a.fail("suggest captions", err)
	}
	up, err := a.uploader(c)
	if err != nil {
		return CaptionState{}, a.fail("suggest captions", err)
	}
	s, ok := uploadedSession(ctx, up, ds)
	if !ok {
		return CaptionState{}, a.fail("suggest captions", studio.Errorf(studio.ENotUploaded, "upload your photos to the server first (Upload to server): its captioner describes the uploaded photos"))
	}
	// The captioner leaves the user's captions alone only if the server
	// has them.
	if _, err := a.pushCaptions(ctx, c, ds); err != nil {
		return CaptionState{}, a.fail("suggest captions", reword(err, "your caption edits must reach the server before its captioner runs: %s"))
	}
	run, err := c.AutoCaption(ctx, s.DatasetID, wire.AutoCaptionRequest{Overwrite: overwrite})
	if studio.ErrorCode(err) == studio.ECaptioningInProgress {
		err = nil
		run = wire.CaptionRun{Status: studio.CaptionRunRunning, RequestedAt: a.store.Now()}
	}
	if err != nil {
		return CaptionState{}, a.fail("suggest captions", err)
	}
	if err := a.store.SetCaptionRun(ctx, ds, &run); err != nil {
		return CaptionState{}, a.fail("suggest captions", err)
	}
	a.rt.Emit(ctx, EventCaptionProgress, run)
	for inProgress(&run) {
		select {
		case <-ctx.Done():
			return CaptionState{}, a.fail("suggest captions", ctx.Err())
		case <-time.After(a.captionPoll):
		}
		r, err := a.checkRun(ctx, c, ds)
		if err != nil {
			// A network blip does not end the wait; the run goes on there.
			a.log.Warn("caption run not checked", "err", err)
			if studio.ErrorCode(err) != studio.EUnavailable {
				return CaptionState{}, a.fail("suggest captions", err)
			}
			continue
		}
		run = *r
	}
	st, err := a.captionState(ctx, ds)
	if err != nil {
		return CaptionState{}, a.fail("suggest captions", err)
	}
	if run.Status == studio.CaptionRunFailed {
		return st, a.fail("suggest captions", studio.Errorf(studio.EUnavailable, "the server's captioner failed: %s. Your captions are unchanged; try again, or write them yourself", strings.TrimRight(run.Error, ".:; ")))
	}
	return st, nil
}

// UseCaptions accepts the captioner's suggestions as the user's own and
// sends them, with every other edit the server does not have yet, to the
// server. What the server does not take stays here, unsent.
func (a *DatasetService) UseCaptions() (CaptionState, error) {
	ctx := a.ctx
	ds, err := a.store.DraftDataset(ctx)
	if err != nil {
		return CaptionState{}, a.fail("use captions", err)
	}
	if run, err := a.store.CaptionRun(ctx, ds); err != nil {
		return CaptionState{}, a.fail("use captions", err)
	} else if inProgress(run) {
		return CaptionState{}, a.fail("use captions", studio.Errorf(studio.ECaptioningInProgress, "the server's captioner is still writing suggestions; wait for them, then review them"))
	}
	if _, err := a.store.AcceptAutoCaptions(ctx, ds); err != nil {
		return CaptionState{}, a.fail("use captions", err)
	}
	if c, err := a.signedIn(); err == nil {
		if _, err := a.pushCaptions(ctx, c, ds); err != nil {
			return CaptionState{}, a.fail("use captions", reword(err, "your captions are saved on this computer, but did not reach the server: %s. Try again"))
		}
	}
	st, err := a.captionState(ctx, ds)
	if err != nil {
		return CaptionState{}, a.fail("use captions", err)
	}
	return st, nil
}

// captionState reads the captions' state from this computer alone.
func (a *DatasetService) captionState(ctx context.Context, ds string) (CaptionState, error) {
	st := CaptionState{Template: DefaultCaptionTemplate}
	run, err := a.store.CaptionRun(ctx, ds)
	if err != nil {
		return st, err
	}
	st.Run = run
	items, err := a.store.Items(ctx, ds)
	if err != nil {
		return st, err
	}
	if c, err := a.signedIn(); err == nil {
		if up, err := a.uploader(c); err == nil {
			_, st.Uploaded = uploadedSession(ctx, up, ds)
		}
	}
	for _, it := range items {
		if it.CaptionSource == studio.CaptionAuto {
			st.Suggested++
		}
		if !it.CaptionSent && st.Uploaded {
			st.Unsent++
		}
	}
	st.Ready = captionGate(st)
	return st, nil
}

// captionGate is the captions' part of the rule behind "Start training":
// the server trains on its own copy of the captions, which must be the
// ones the user has read.
func captionGate(st CaptionState) Gate {
	switch {
	case inProgress(st.Run):
		return Gate{Reason: "Wait for the suggested captions: the server's captioner is writing them."}
	case st.Suggested > 0:
		return Gate{Reason: "Review the suggested captions, then press Use these captions."}
	case st.Unsent > 0:
		return Gate{Reason: "Some caption edits are not on the server yet: press Use these captions to send them."}
	}
	return Gate{Allowed: true}
}

// captionsReady returns ECaptioningInProgress while the server's captioner
// works, and ECaptionsUnreviewed while its suggestions wait for review or
// edits wait to be sent.
func (a *DatasetService) captionsReady(ctx context.Context, ds string) error {
	st, err := a.captionState(ctx, ds)
	if err != nil {
		return err
	}
	switch {
	case st.Ready.Allowed:
		return nil
	case inProgress(st.Run):
		return studio.Errorf(studio.ECaptioningInProgress, "%s", st.Ready.Reason)
	}
	return studio.Errorf(studio.ECaptionsUnreviewed, "%s", st.Ready.Reason)
}

// checkRun reads the run from the server once and records it; when it has
// finished, the server's captions come here.
func (a *DatasetService) checkRun(ctx context.Context, c *client.Client, ds string) (*wire.CaptionRun, error) {
	up, err := a.uploader(c)
	if err != nil {
		return nil, err
	}
	s, ok := uploadedSession(ctx, up, ds)
	if !ok {
		return nil, studio.Errorf(studio.ENotUploaded, "the photos are not on the server")
	}
	d, err := c.Dataset(ctx, s.DatasetID)
	if err != nil {
		return nil, err
	}
	run := d.Captioning
	if run == nil {
		// The server forgot the run (its dataset was replaced): nothing
		// to wait for.
		return nil, a.store.SetCaptionRun(ctx, ds, nil)
	}
	if run.Status == studio.CaptionRunDone {
		if err := a.applyServerCaptions(ctx, up, s, ds, d); err != nil {
			return nil, err
		}
	}
	if err := a.store.SetCaptionRun(ctx, ds, run); err != nil {
		return nil, err
	}
	a.rt.Emit(a.ctx, EventCaptionProgress, *run)
	if run.Status == studio.CaptionRunDone {
		// Edits made here while the captioner worked go now.
		if _, err := a.pushCaptions(ctx, c, ds); err != nil {
			a.log.Warn("caption edits not sent yet", "err", err)
		}
	}
	return run, nil
}

// applyServerCaptions brings the server's captions of d here.
func (a *DatasetService) applyServerCaptions(ctx context.Context, up *upload.Uploader, s upload.Session, ds string, d wire.Dataset) error {
	ids, err := a.photoIDs(ctx, up, s, ds, d)
	if err != nil {
		return err
	}
	var caps []localstore.ServerCaption
	for itemID, p := range ids {
		src := p.CaptionSource
		if src == "" {
			src = localstore.CaptionSourceOf(p.Caption)
		}
		caps = append(caps, localstore.ServerCaption{ItemID: itemID, Caption: p.Caption, Source: src})
	}
	n, err := a.store.ApplyServerCaptions(ctx, ds, caps)
	if err != nil {
		return err
	}
	a.log.Info("captions from the server", "changed", n)
	return nil
}

// photoIDs maps the local photos to the server's, through the upload: it
// knows which imported copy became which stripped file, whose sha256 the
// server has.
func (a *DatasetService) photoIDs(ctx context.Context, up *upload.Uploader, s upload.Session, ds string, d wire.Dataset) (map[string]wire.Photo, error) {
	files, err := up.Files(ctx, s.ID)
	if err != nil {
		return nil, err
	}
	shaOf := make(map[string]string, len(files))
	for _, f := range files {
		shaOf[f.Path] = f.SHA256
	}
	bySHA := make(map[string]wire.Photo, len(d.Items))
	for _, p := range d.Items {
		bySHA[p.SHA256] = p
	}
	items, err := a.store.Items(ctx, ds)
	if err != nil {
		return nil, err
	}
	out := map[string]wire.Photo{}
	for _, it := range items {
		if p, ok := bySHA[shaOf[it.LocalPath]]; ok {
			out[it.ID] = p
		}
	}
	return out, nil
}

// pushCaptions sends the captions edited here after the upload to the
// server, and marks them sent. Before the upload there is nothing to send:
// the upload declares every caption. Returns how many were sent.
func (a *DatasetService) pushCaptions(ctx context.Context, c *client.Client, ds string) (int, error) {
	up, err := a.uploader(c)
	if err != nil {
		return 0, err
	}
	s, ok := uploadedSession(ctx, up, ds)
	if !ok {
		return 0, nil
	}
	items, err := a.store.Items(ctx, ds)
	if err != nil {
		return 0, err
	}
	var unsent []localstore.Item
	for _, it := range items {
		if !it.CaptionSent {
			unsent = append(unsent, it)
		}
	}
	if len(unsent) == 0 {
		return 0, nil
	}
	d, err := c.Dataset(ctx, s.DatasetID)
	if err != nil {
		return 0, err
	}
	ids, err := a.photoIDs(ctx, up, s, ds, d)
	if err != nil {
		return 0, err
	}
	var edits []wire.CaptionEdit
	var sent []localstore.Item
	for _, it := range unsent {
		// A photo added after the upload goes with the next one.
		if p, ok := ids[it.ID]; ok {
			edits = append(edits, wire.CaptionEdit{PhotoID: p.ID, Caption: it.Caption})
			sent = append(sent, it)
		}
	}
	for i := 0; i < len(edits); i += studio.MaxDatasetPhotos {
		j := min(i+studio.MaxDatasetPhotos, len(edits))
		if _, err := c.SetCaptions(ctx, s.DatasetID, wire.CaptionsRequest{Captions: edits[i:j]}); err != nil {
			return i, err
		}
		if err := a.store.MarkCaptionsSent(ctx, ds, sent[i:j]); err != nil {
			return i, err
		}
	}
	return len(edits), nil
}

// afterUpload records that the server has each photo's caption as the
// upload declared it, then sends the edits made while it ran.
func (a *DatasetService) afterUpload(ctx context.Context, c *client.Client, up *upload.Uploader, ds, session string) {
	files, err := up.Files(ctx, session)
	if err != nil {
		a.log.Warn("captions of the upload", "err", err)
		return
	}
	declared := make(map[string]string, len(files))
	for _, f := range files {
		declared[f.Path] = f.Caption
	}
	items, err := a.store.Items(ctx, ds)
	if err != nil {
		a.log.Warn("captions of the upload", "err", err)
		return
	}
	var sent []localstore.Item
	for _, it := range items {
		if c, ok := declared[it.LocalPath]; ok {
			sent = append(sent, localstore.Item{ID: it.ID, Caption: c})
		}
	}
	if err := a.store.MarkCaptionsSent(ctx, ds, sent); err != nil {
		a.log.Warn("captions of the upload", "err", err)
		return
	}
	// A new upload is a new dataset on the server: an older run is not its.
	if err := a.store.SetCaptionRun(ctx, ds, nil); err != nil {
		a.log.Warn("captions of the upload", "err", err)
	}
	if _, err := a.pushCaptions(ctx, c, ds); err != nil {
		a.log.Warn("caption edits made during the upload not sent yet", "err", err)
	}
}

// reword puts err's message into format, keeping its code; an error
// without one (internal) is returned as it is.
func reword(err error, format string) error {
	var e *studio.Error
	if !errors.As(err, &e) {
		return err
	}
	c := *e
	c.Message = fmt.Sprintf(format, e.Message)
	return &c
}

// uploadedSession returns the dataset's last upload when the server has
// its photos (committed, validated or rejected).
func uploadedSession(ctx context.Context, up *upload.Uploader, ds string) (upload.Session, bool) {
	s, err := up.Latest(ctx, ds)
	if err != nil || s.DatasetID == "" {
		return upload.Session{}, false
	}
	switch s.State {
	case upload.StateCommitted, upload.StateValidated, upload.StateRejected:
		return s, true
	}
	return upload.Session{}, false
}
