package app

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"path/filepath"
	"strings"
	"sync"

	"github.com/promptforge/lorastudio/internal/studio"
	"github.com/promptforge/lorastudio/internal/wire"
	"github.com/promptforge/lorastudio/sync/client"
	"github.com/promptforge/lorastudio/sync/outbox"
	"github.com/promptforge/lorastudio/sync/token"
	"github.com/promptforge/lorastudio/sync/upload"
)

// AccountService signs in to a LoRA Studio server and out of it.
type AccountService struct{ *core }

// EventSyncProgress carries upload.Progress while photos upload.
const EventSyncProgress = "sync:progress"

// account is the signed-in state; the App guards it with its mutex.
type account struct {
	mu     sync.Mutex
	tokens *token.Store
	api    *client.Client // nil when signed out
	who    token.Account

	box      *outbox.Outbox // server-bound actions; delivered while signed in
	stop     context.CancelFunc
	outcomes map[int64]outcome // settled outbox entries, by id
	expired  bool              // the server refused the token: sign in again
}

// EventAccountChanged tells the UI that the account changed without the
// user asking: the server refused the token (it expired or was revoked).
const EventAccountChanged = "account:changed"

type outcome struct {
	response json.RawMessage
	err      error
}

func (ac *account) outcome(id int64) (outcome, bool) {
	ac.mu.Lock()
	defer ac.mu.Unlock()
	o, ok := ac.outcomes[id]
	return o, ok
}

// accountKey names an account's outbox entries.
func accountKey(who token.Account) string { return who.Email + " on " + who.ServerURL }

// outboxFor returns the signed-in account's outbox, sending with c, and
// starts its delivery loop on first use.
func (a *core) outboxFor(c *client.Client) (*outbox.Outbox, error) {
	a.acct.mu.Lock()
	defer a.acct.mu.Unlock()
	if a.acct.box != nil {
		return a.acct.box, nil
	}
	box, err := outbox.New(outbox.Config{DB: a.store.DB(), Sender: c, Account: accountKey(a.acct.who), Log: a.log, Done: a.outboxDone})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(a.ctx)
	a.acct.box, a.acct.stop, a.acct.outcomes = box, cancel, map[int64]outcome{}
	go box.Run(ctx)
	return box, nil
}

// outboxDone records what the server made of an action: it notes the
// server's id of a consent, and tells the UI when a consent or a training
// request it queued earlier is settled.
func (a *core) outboxDone(_ context.Context, e outbox.Entry, response json.RawMessage, err error) {
	a.acct.mu.Lock()
	if a.acct.outcomes != nil {
		a.acct.outcomes[e.ID] = outcome{response: response, err: err}
	}
	a.acct.mu.Unlock()
	a.rt.Emit(a.ctx, EventOutboxChanged, nil)
	if err != nil {
		a.log.Warn("the server refused a queued action", "kind", e.Kind, "err", err)
		if e.Kind == kindConsent {
			a.rt.Emit(a.ctx, EventConsentServer, nil)
		}
		return
	}
	switch e.Kind {
	case kindConsent:
		var got wire.Consent
		if json.Unmarshal(response, &got) == nil && got.ID != "" {
			if err := a.store.SetConsentServerID(a.ctx, e.Ref, got.ID); err != nil {
				a.log.Warn("consent recorded on the server, not noted here", "err", err)
			}
		}
		a.rt.Emit(a.ctx, EventConsentServer, nil)
	case kindJob:
		var job wire.JobCreated
		if json.Unmarshal(response, &job) == nil {
			a.rt.Emit(a.ctx, EventTrainingStarted, job)
		}
	}
}

// AccountStatus is what the settings screen shows.
type AccountStatus struct {
	SignedIn     bool   `json:"signed_in"`
	ServerURL    string `json:"server_url,omitempty"`
	Email        string `json:"email,omitempty"`
	TokenStorage string `json:"token_storage"`                // keyring or sqlite
	StorageNote  string `json:"token_storage_note,omitempty"` // why not the keyring
	// Expired says the server refused the saved sign-in (it expired or was
	// revoked); ServerURL and Email are those to sign in to again.
	Expired bool `json:"expired,omitempty"`
}

// watch makes c report a refused token as an expired session.
func (a *core) watch(c *client.Client) *client.Client {
	c.OnUnauthorized(func() { a.sessionExpired(c) })
	return c
}

// sessionExpired signs out a client whose token the server refused. The
// outbox keeps its entries for the next sign-in; the token is forgotten.
func (a *core) sessionExpired(c *client.Client) {
	a.acct.mu.Lock()
	if a.acct.api != c {
		a.acct.mu.Unlock()
		return // signed out, or signed in again, meanwhile
	}
	a.acct.api, a.acct.expired = nil, true
	if a.acct.stop != nil {
		a.acct.stop()
		a.acct.box, a.acct.stop = nil, nil
	}
	who := a.acct.who
	a.acct.mu.Unlock()
	if err := a.acct.tokens.Delete(a.ctx, who); err != nil {
		a.log.Warn("forgetting the refused token", "err", err)
	}
	a.log.Warn("the server refused the saved sign-in; sign in again", "server", who.ServerURL)
	a.rt.Emit(a.ctx, EventAccountChanged, nil)
}

// restoreAccount signs back in with the saved token, if any.
func (a *core) restoreAccount(ctx context.Context) {
	a.acct.tokens = token.Open(ctx, a.store.DB(), a.log)
	srv, err1 := a.store.Setting(ctx, "server_url")
	email, err2 := a.store.Setting(ctx, "account_email")
	if err1 != nil || err2 != nil {
		return
	}
	who := token.Account{ServerURL: srv, Email: email}
	tok, err := a.acct.tokens.Load(ctx, who)
	if err != nil {
		return
	}
	c, err := client.New(srv, nil)
	if err != nil {
		return
	}
	c.SetToken(tok)
	a.acct.api, a.acct.who = a.watch(c), who
}

// resumeOutbox delivers the actions queued before a quit; it runs once the
// window exists, since delivering may emit events to it.
func (a *core) resumeOutbox() {
	if c, err := a.signedIn(); err == nil {
		if _, err := a.outboxFor(c); err != nil {
			a.log.Warn("outbox", "err", err)
		}
	}
}

// Account returns who is signed in, and where the token is kept.
func (a *AccountService) Account() AccountStatus {
	a.acct.mu.Lock()
	defer a.acct.mu.Unlock()
	st := AccountStatus{TokenStorage: a.acct.tokens.Backend(), StorageNote: a.acct.tokens.Reason()}
	switch {
	case a.acct.api != nil:
		st.SignedIn, st.ServerURL, st.Email = true, a.acct.who.ServerURL, a.acct.who.Email
	case a.acct.expired:
		st.Expired, st.ServerURL, st.Email = true, a.acct.who.ServerURL, a.acct.who.Email
	}
	return st
}

// SignInRequest signs in to, or creates an account on, a LoRA Studio server.
type SignInRequest struct {
	ServerURL string `json:"server_url"`
	Email     string `json:"email"`
	Password  string `json:"password"`
	Create    bool   `json:"create"`
}

// SignIn signs in and keeps the token in the OS keyring (or the local
// database where there is none). A consent given on this computer goes to
// the server too, through the outbox, since uploads need it there.
func (a *AccountService) SignIn(req SignInRequest) (AccountStatus, error) {
	ctx := a.ctx
	srv := strings.TrimRight(strings.TrimSpace(req.ServerURL), "/")
	if u, err := url.Parse(srv); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return AccountStatus{}, a.fail("sign in", studio.Errorf(studio.EInvalid, "the server address must look like https://studio.example.com"))
	}
	c, err := client.New(srv, nil)
	if err != nil {
		return AccountStatus{}, a.fail("sign in", err)
	}
	cred := wire.Credentials{Email: strings.TrimSpace(req.Email), Password: req.Password}
	var tok string
	if req.Create {
		tok, err = c.Register(ctx, cred)
	} else {
		tok, err = c.Login(ctx, cred)
	}
	if err != nil {
		return AccountStatus{}, a.fail("sign in", err)
	}
	who := token.Account{ServerURL: srv, Email: cred.Email}
	if err := a.acct.tokens.Save(ctx, who, tok); err != nil {
		return AccountStatus{}, a.fail("sign in", err)
	}
	if err := a.store.SetSettings(ctx, map[string]string{"server_url": srv, "account_email": cred.Email}); err != nil {
		return AccountStatus{}, a.fail("sign in", err)
	}
	a.acct.mu.Lock()
	if a.acct.stop != nil { // signed in already: that account's outbox stops
		a.acct.stop()
		a.acct.box, a.acct.stop = nil, nil
	}
	a.acct.api, a.acct.who, a.acct.expired = a.watch(c), who, false
	a.acct.mu.Unlock()
	// What this account queued before (offline, or before a sign-out) goes
	// now, whatever its backoff: the server has just answered.
	if box, err := a.outboxFor(c); err != nil {
		a.log.Warn("outbox", "err", err)
	} else {
		box.Kick()
	}
	if err := a.Consent.linkConsent(ctx, c); err != nil {
		a.log.Warn("consent not yet queued for the server", "err", err)
	}
	a.log.Info("signed in", "server", srv, "token_storage", a.acct.tokens.Backend())
	return a.Account(), nil
}

// SignOut revokes the token on the server (when it answers) and forgets it
// here.
func (a *AccountService) SignOut() error {
	a.acct.mu.Lock()
	c, who := a.acct.api, a.acct.who
	a.acct.api, a.acct.expired = nil, false
	if a.acct.stop != nil {
		a.acct.stop() // the outbox keeps its entries for the next sign-in
		a.acct.box, a.acct.stop = nil, nil
	}
	a.acct.mu.Unlock()
	if c == nil {
		return nil
	}
	if err := c.Logout(a.ctx); err != nil {
		a.log.Warn("logout on the server failed; forgetting the token here anyway", "err", err)
	}
	if err := a.acct.tokens.Delete(a.ctx, who); err != nil {
		return a.fail("sign out", err)
	}
	return nil
}

func (a *core) signedIn() (*client.Client, error) {
	a.acct.mu.Lock()
	defer a.acct.mu.Unlock()
	if a.acct.api == nil {
		return nil, studio.Errorf(studio.EUnauthorized, "sign in to a LoRA Studio server first")
	}
	return a.acct.api, nil
}

func (a *core) uploader(c *client.Client) (*upload.Uploader, error) {
	if c == nil {
		return nil, errors.New("no client")
	}
	return upload.New(upload.Config{
		DB: a.store.DB(), API: c, Dir: filepath.Join(a.dataDir, "uploads"), Log: a.log, BytesPerSecond: a.uploadLimit,
		Progress: func(p upload.Progress) { a.rt.Emit(a.ctx, EventSyncProgress, p) },
	})
}
