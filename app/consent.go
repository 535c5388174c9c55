package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/promptforge/lorastudio/app/localstore"
	"github.com/promptforge/lorastudio/internal/consent"
	"github.com/promptforge/lorastudio/internal/studio"
	"github.com/promptforge/lorastudio/internal/wire"
	"github.com/promptforge/lorastudio/sync/client"
	"github.com/promptforge/lorastudio/sync/outbox"
)

// ConsentService records, shows and withdraws the consent that gates every
// face photo.
type ConsentService struct{ *core }

// ConsentTerms is the consent text with the terms of the server the
// photos go to: who processes them there and for how many days from the
// consent they are kept. Signed out nothing leaves this computer and both
// are empty; the server's own are shown once signed in.
type ConsentTerms struct {
	Version  string `json:"version"`
	Language string `json:"language"` // BCP 47 tag of Text
	// Languages are the languages the text is offered in, the default first.
	Languages     []string `json:"languages"`
	Text          string   `json:"text"`
	SHA256        string   `json:"sha256"` // of Text: the bytes whose hash the backend records
	Purpose       string   `json:"purpose"`
	Attestation   string   `json:"attestation"` // the statement the user ticks, in Language
	Processors    []string `json:"processors,omitempty"`
	RetentionDays int      `json:"retention_days,omitempty"`
}

// ConsentText is what the user reads before the first photo, in lang (a
// BCP 47 tag: "en", "pt-BR"); in English when it is not offered in lang.
func (a *ConsentService) ConsentText(lang string) ConsentTerms {
	cur := consent.In(lang)
	t := ConsentTerms{Version: cur.Version, Language: cur.Language, Languages: consent.Languages(),
		Text: cur.Text, SHA256: cur.SHA256, Purpose: cur.Purpose, Attestation: cur.Attestation}
	if srv, ok := a.serverTerms(cur); ok {
		t.Processors, t.RetentionDays = srv.Processors, srv.RetentionDays
	}
	return t
}

// serverTerms asks the signed-in server for the processors and retention
// period it records with a consent to cur; false when signed out, offline,
// or the server is on another text.
func (a *ConsentService) serverTerms(cur consent.Text) (wire.ConsentText, bool) {
	c, err := a.signedIn()
	if err != nil {
		return wire.ConsentText{}, false
	}
	ctx, cancel := a.readCtx()
	defer cancel()
	t, err := c.ConsentTextIn(ctx, cur.Language)
	if err != nil || t.Version != cur.Version || t.SHA256 != cur.SHA256 {
		return wire.ConsentText{}, false
	}
	return t, true
}

// EventConsentServer tells the UI that the server recorded, or refused,
// the consent queued for it; GetConsent says which.
const EventConsentServer = "consent:server"

// ConsentStatus says whether consent is on record on this computer, and on
// the server when signed in.
type ConsentStatus struct {
	Given    bool       `json:"given"`
	Version  string     `json:"version,omitempty"`
	Language string     `json:"language,omitempty"` // of the text accepted
	GivenAt  *time.Time `json:"given_at,omitempty"`
	Outdated bool       `json:"outdated"` // given to an older text: ask again
	Synced   bool       `json:"synced"`   // recorded on the server too
	Queued   bool       `json:"queued"`   // waiting in the outbox for the server
	// ServerError is the server's refusal of the queued consent, if any.
	ServerError string `json:"server_error,omitempty"`
	Retention   int    `json:"retention_days,omitempty"`
	// Notice says why consent must be given again (Outdated): the server
	// erased everything when the retention period ran out, or who
	// processes the photos there changed.
	Notice string `json:"notice,omitempty"`
}

// GetConsent returns the consent on record, if any.
func (a *ConsentService) GetConsent() (ConsentStatus, error) {
	c, err := a.store.LatestConsent(a.ctx)
	if studio.ErrorCode(err) == studio.ENotFound {
		return ConsentStatus{}, nil
	}
	if err != nil {
		return ConsentStatus{}, a.fail("read consent", err)
	}
	_, inForce := consent.ByVersion(c.TextVersion)
	st := ConsentStatus{Given: true, Version: c.TextVersion, Language: c.TextLanguage, GivenAt: &c.CreatedAt, Outdated: !inForce,
		Synced: c.ServerID != "", Retention: c.RetentionDays}
	cl, err := a.signedIn()
	if err != nil {
		return st, nil
	}
	if !st.Synced {
		if box, err := a.outboxFor(cl); err == nil {
			st.Queued, st.ServerError = consentQueued(a.ctx, box, c.ID)
		}
	}
	if !st.Queued {
		a.serverConsent(cl, &st)
	}
	return st, nil
}

// serverConsent completes st with what the server says of the user's
// consent there; offline, st stays as this computer knows it.
func (a *ConsentService) serverConsent(cl *client.Client, st *ConsentStatus) {
	ctx, cancel := a.readCtx()
	defer cancel()
	srv, err := cl.CurrentConsent(ctx)
	switch {
	case err == nil && srv.Outdated:
		st.Outdated = true
		st.Notice = "The consent text, or who processes your photos on the server, changed since you consented. Read it and consent again to keep uploading and training."
	case err == nil:
		st.Retention = srv.RetentionDays
	case studio.ErrorCode(err) == studio.EConsentExpired:
		st.Outdated = true
		st.Notice = sentence(studio.ErrorMessage(err))
	}
}

// sentence makes a server message ("your photos ...; give consent again")
// a sentence for the window.
func sentence(msg string) string {
	parts := strings.Split(strings.TrimSuffix(msg, "."), "; ")
	for i, p := range parts {
		if p != "" {
			parts[i] = strings.ToUpper(p[:1]) + p[1:]
		}
	}
	return strings.Join(parts, ". ") + "."
}

// consentQueued says whether the consent id waits in the outbox, or why the
// server refused it.
func consentQueued(ctx context.Context, box *outbox.Outbox, id string) (queued bool, refusal string) {
	if pending, err := box.Pending(ctx); err == nil {
		for _, e := range pending {
			if e.Kind == kindConsent && e.Ref == id {
				return true, ""
			}
		}
	}
	if failed, err := box.Failed(ctx); err == nil {
		for _, e := range failed {
			if e.Kind == kindConsent && e.Ref == id {
				return false, e.LastError
			}
		}
	}
	return false, ""
}

// GiveConsent records consent to the text of version (ConsentTerms.Version
// of the text the user read, in whichever language). attestSelf is the
// user's statement that every photo shows themselves; without it nothing
// is recorded.
func (a *ConsentService) GiveConsent(version string, attestSelf bool) (ConsentStatus, error) {
	if !attestSelf {
		return ConsentStatus{}, a.fail("give consent", studio.Errorf(studio.EAttestationRequired, "confirm that every photo will show you; photos of anyone else are not allowed"))
	}
	cur, ok := consent.ByVersion(version)
	if !ok {
		return ConsentStatus{}, a.fail("give consent", studio.Errorf(studio.EConsentOutdated, "consent text %q is not in force; read the current text and consent again", version))
	}
	// The server's terms when signed in; signed out the photos stay here
	// and the server records its own terms when the consent reaches it.
	terms, days := []string{"storage: this computer only, until you sign in to a LoRA Studio server"}, 0
	if srv, ok := a.serverTerms(cur); ok {
		terms, days = srv.Processors, srv.RetentionDays
	}
	procs, _ := json.Marshal(terms)
	if err := a.store.RecordConsent(a.ctx, localstore.Consent{
		ID: localstore.NewID(), TextVersion: cur.Version, TextSHA256: cur.SHA256, TextLanguage: cur.Language, Purpose: cur.Purpose,
		Processors: string(procs), RetentionDays: days,
	}); err != nil {
		return ConsentStatus{}, a.fail("give consent", err)
	}
	a.log.Info("consent recorded locally", "version", cur.Version, "language", cur.Language)
	if c, err := a.signedIn(); err == nil {
		if err := a.queueConsent(a.ctx, c); err != nil {
			a.log.Warn("consent not yet queued for the server", "err", err)
		}
	}
	return a.GetConsent()
}

// Erased says what a withdrawal removed.
type Erased struct {
	Photos int `json:"photos"` // from this computer
	// LoRAs counts the trained files deleted from this computer: downloads
	// and the copies installed into generators' folders.
	LoRAs int `json:"loras"`
	// Server is "erased" when the server erased the uploaded photos and
	// trained files too, "queued" when it will once it answers (the
	// request waits in the outbox), "" when not signed in.
	Server string `json:"server,omitempty"`
}

// WithdrawConsent erases every imported photo and thumbnail from the data
// folder and the database, every downloaded LoRA and every copy it
// installed into a generator's folder (while still the file it copied),
// and marks the consent withdrawn. The user's own originals, wherever
// they are, are not touched.
func (a *ConsentService) WithdrawConsent() (Erased, error) {
	n, err := a.store.EraseDatasets(a.ctx)
	if err != nil {
		return Erased{}, a.fail("withdraw consent", err)
	}
	// Rows first, then files: a crash in between leaves only files that no
	// row points at, which the next withdrawal (or start) removes.
	for _, dir := range []string{"datasets", "uploads"} { // imported copies, thumbnails, stripped copies
		if err := os.RemoveAll(filepath.Join(a.dataDir, dir)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return Erased{}, a.fail("withdraw consent", fmt.Errorf("erase photos: %w", err))
		}
	}
	loras, err := a.LoRA.eraseLoRAs()
	if err != nil {
		return Erased{}, a.fail("withdraw consent", err)
	}
	e := Erased{Photos: n, LoRAs: loras}
	// The server erases what was uploaded and trained. Through the outbox:
	// offline, the withdrawal waits there and goes first when it can.
	if c, err := a.signedIn(); err == nil {
		e.Server = "queued"
		if box, err := a.outboxFor(c); err == nil {
			// Everything queued before the withdrawal goes: training must
			// never start after it nor hold it back in the queue, and a
			// consent, activation or cancel not yet delivered is moot.
			if pending, err := box.Pending(a.ctx); err == nil {
				for _, p := range pending {
					if p.Kind != kindWithdraw {
						_ = box.Dismiss(a.ctx, p.ID)
					}
				}
			}
			if id, err := box.Enqueue(a.ctx, outbox.Action{Kind: kindWithdraw, Path: wire.PathConsentWithdraw}); err == nil {
				_, _ = box.Flush(a.ctx, true)
				if o, ok := a.acct.outcome(id); ok && o.err == nil {
					e.Server = "erased"
				}
			}
		}
	}
	a.log.Info("consent withdrawn; photos and trained files erased", "photos", n, "loras", loras, "server", e.Server)
	a.rt.Emit(a.ctx, "consent:withdrawn", e)
	return e, nil
}

// requireConsent refuses to take in face photos without consent on record.
func (a *core) requireConsent(ctx context.Context) error {
	c, err := a.store.LatestConsent(ctx)
	if studio.ErrorCode(err) == studio.ENotFound {
		return studio.Errorf(studio.EConsentRequired, "give consent before adding photos of your face")
	}
	if err != nil {
		return err
	}
	if _, ok := consent.ByVersion(c.TextVersion); !ok {
		return studio.Errorf(studio.EConsentOutdated, "the consent text changed; read it and consent again before adding photos")
	}
	return nil
}

// linkConsent, at sign-in, ties the local consent to the account's: the
// server's own record when it has one to the same text, or else a consent
// queued in the outbox for it. A link to another account is dropped.
func (a *ConsentService) linkConsent(ctx context.Context, c *client.Client) error {
	local, err := a.store.LatestConsent(ctx)
	if studio.ErrorCode(err) == studio.ENotFound {
		return nil
	}
	if err != nil {
		return err
	}
	srv, err := c.CurrentConsent(ctx)
	switch {
	case err == nil && srv.Version == local.TextVersion:
		// Linked even when the server's processors changed since:
		// GetConsent then asks the user, who alone may agree to new ones.
		if err := a.store.SetConsentServerID(ctx, local.ID, srv.ID); err != nil {
			return err
		}
		a.rt.Emit(ctx, EventConsentServer, nil)
		return nil
	case studio.ErrorCode(err) == studio.EConsentExpired:
		// The retention period the user agreed to ended: they consent
		// again themselves (GetConsent says why), never silently.
		return nil
	case err == nil || studio.ErrorCode(err) == studio.EConsentRequired:
		if err := a.store.SetConsentServerID(ctx, local.ID, ""); err != nil {
			return err
		}
	}
	return a.queueConsent(ctx, c)
}

// queueConsent puts the local consent in the outbox for the server, unless
// the server has it, it is queued already, or its text is outdated (the
// user consents again first).
func (a *ConsentService) queueConsent(ctx context.Context, c *client.Client) error {
	box, err := a.outboxFor(c)
	if err != nil {
		return err
	}
	local, err := a.store.LatestConsent(ctx)
	if studio.ErrorCode(err) == studio.ENotFound {
		return nil
	}
	if err != nil {
		return err
	}
	if _, inForce := consent.ByVersion(local.TextVersion); local.ServerID != "" || !inForce {
		return nil
	}
	if queued, _ := consentQueued(ctx, box, local.ID); queued {
		return nil
	}
	_, err = box.Enqueue(ctx, outbox.Action{
		Kind: kindConsent, Path: wire.PathConsents, Ref: local.ID,
		Body: wire.ConsentRequest{Version: local.TextVersion, SHA256: local.TextSHA256, AttestSelf: true},
	})
	return err
}

// consentOnServer makes sure the server has the consent before photos go
// up: it sends what the outbox holds now and says why not when it cannot.
func (a *ConsentService) consentOnServer(ctx context.Context, c *client.Client) error {
	if err := a.queueConsent(ctx, c); err != nil {
		return err
	}
	local, err := a.store.LatestConsent(ctx)
	if err != nil {
		return err
	}
	if local.ServerID != "" {
		return nil
	}
	box, err := a.outboxFor(c)
	if err != nil {
		return err
	}
	if _, err := box.Flush(ctx, true); err != nil {
		return err
	}
	if local, err = a.store.LatestConsent(ctx); err != nil {
		return err
	}
	if local.ServerID != "" {
		return nil
	}
	if _, refusal := consentQueued(ctx, box, local.ID); refusal != "" {
		return studio.Errorf(studio.EConsentRefused, "the server did not accept your consent: %s", refusal)
	}
	return studio.Errorf(studio.EUnavailable, "the server has not recorded your consent yet: it waits in the outbox and goes as soon as the server answers; try the upload again then")
}
