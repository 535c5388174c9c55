// Package app is the desktop program's Go side: the App and its services,
// whose exported methods the frontend calls through Wails bindings. They
// stay thin; the work happens in internal/, sync/ and the packages under
// app/ (photos, localstore, install).
package app

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/promptforge/lorastudio/app/datadir"
	"github.com/promptforge/lorastudio/app/localstore"
	"github.com/promptforge/lorastudio/internal/studio"
	"github.com/promptforge/lorastudio/internal/telemetry"
	"github.com/promptforge/lorastudio/internal/update"
)

// Config is how the App is built; main.go fills it from the environment.
type Config struct {
	Getenv  func(string) string
	Runtime Runtime // nil means the real Wails runtime
	Version string
	// ReadTimeout bounds how long a read the window waits on (versions, a
	// job's state and log, the trainable models) waits for the server:
	// the versions then show the copy kept on this computer, the others
	// say the server is silent. Default 5 s.
	ReadTimeout time.Duration
	// Home is where the generators' LoRA folders are looked for; "" means
	// the user's home folder.
	Home string
	// UpdateKey verifies release manifests; nil means update.PublicKey.
	UpdateKey ed25519.PublicKey
	// CaptionPoll is how often SuggestCaptions asks the server how its
	// captioner is doing. Default 1 s.
	CaptionPoll time.Duration
}

// App is bound to the frontend beside its services (Bound lists them all):
// every exported method of each becomes a JS function that returns a
// promise; an error rejects it with the error's text. The App itself keeps
// the window's lifecycle, what it says about itself and the studio's
// selection; the screens' work is in the services.
type App struct {
	*core
}

// Services are the structs bound beside the App, one per part of the
// studio. Each holds the shared core, so a method reads as it would on the
// App; what one service needs of another it asks through these fields.
type Services struct {
	Account  *AccountService
	Outbox   *OutboxService
	Consent  *ConsentService
	Dataset  *DatasetService
	Training *TrainingService
	LoRA     *LoRAService
	Compile  *CompileService
	Update   *UpdateService
}

// core is the state the App and its services share: the window's context,
// the database, the signed-in account with its outbox, and the data folder.
// Its methods are unexported, so no service binds them.
type core struct {
	ctx     context.Context // from OnStartup: bound methods cannot take one
	started atomic.Bool     // ctx is Wails' own: the window's runtime may be called
	rt      Runtime
	store   *localstore.Store
	log     *slog.Logger
	logFile io.Closer
	flush   func()
	dataDir string
	version string
	acct    account
	dl      downloads
	home    string
	upd     *update.Checker

	uploadLimit int // bytes per second, 0 for none (LORASTUDIO_UPLOAD_LIMIT)
	readTimeout time.Duration
	captionPoll time.Duration

	Services
}

// newServices makes the services, all on c.
func newServices(c *core) {
	c.Services = Services{
		Account: &AccountService{c}, Outbox: &OutboxService{c}, Consent: &ConsentService{c},
		Dataset: &DatasetService{c}, Training: &TrainingService{c}, LoRA: &LoRAService{c},
		Compile: &CompileService{c}, Update: &UpdateService{c},
	}
}

// Unopened returns an App and its services with nothing opened: what the
// bindings generator binds, for their types alone.
func Unopened() *App {
	a := &App{&core{}}
	newServices(a.core)
	return a
}

// Bound lists what Wails binds: the App and each of its services.
func Bound(a *App) []any {
	s := a.Services
	return []any{a, s.Account, s.Outbox, s.Consent, s.Dataset, s.Training, s.LoRA, s.Compile, s.Update}
}

// New opens the data folder, its log and its database. It does not need a
// window, so tests call it directly.
func New(ctx context.Context, cfg Config) (*App, error) {
	if cfg.Getenv == nil {
		cfg.Getenv = os.Getenv
	}
	if cfg.Runtime == nil {
		cfg.Runtime = wailsRuntime{}
	}
	dir, err := datadir.Resolve(cfg.Getenv)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(dir, "logs"), 0o700); err != nil {
		return nil, fmt.Errorf("app: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, "logs", "desktop.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, fmt.Errorf("app: open log: %w", err)
	}
	log, err := telemetry.NewLogger(io.MultiWriter(f, os.Stderr), cfg.Getenv("LORASTUDIO_LOG_LEVEL"))
	if err != nil {
		f.Close()
		return nil, err
	}
	store, err := localstore.Open(ctx, dir)
	if err != nil {
		f.Close()
		return nil, err
	}
	a := &App{&core{ctx: ctx, rt: cfg.Runtime, store: store, log: log, logFile: f, dataDir: dir, version: cfg.Version, flush: func() {}, readTimeout: cfg.ReadTimeout}}
	newServices(a.core)
	if a.home = cfg.Home; a.home == "" {
		a.home, _ = os.UserHomeDir()
	}
	if a.readTimeout <= 0 {
		a.readTimeout = 5 * time.Second
	}
	if a.captionPoll = cfg.CaptionPoll; a.captionPoll <= 0 {
		a.captionPoll = time.Second
	}

	// Sentry only with a DSN, from the environment or the user's settings.
	dsn := cfg.Getenv("SENTRY_DSN")
	if dsn == "" {
		dsn, _ = store.Setting(ctx, "sentry_dsn")
	}
	on, flush, err := telemetry.Sentry(dsn, "lorastudio-desktop@"+cfg.Version, "desktop")
	if err != nil {
		log.Warn("sentry disabled", "err", err)
	}
	a.flush = flush
	if v := cfg.Getenv("LORASTUDIO_UPLOAD_LIMIT"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			a.uploadLimit = n
		} else {
			log.Warn("LORASTUDIO_UPLOAD_LIMIT is not a positive number of bytes per second; uploads are not capped", "value", v)
		}
	}
	if a.upd, err = newUpdateChecker(ctx, cfg, store); err != nil {
		log.Warn("no update check", "err", err)
		a.upd = &update.Checker{Current: cfg.Version}
	}
	a.restoreAccount(ctx)
	log.Info("desktop started", "data_dir", dir, "version", cfg.Version, "sentry", on)
	return a, nil
}

// Startup is given to Wails as OnStartup; it keeps Wails' context, the only
// one the runtime accepts.
func Startup(a *App) func(context.Context) {
	return func(ctx context.Context) {
		a.ctx = ctx
		a.started.Store(true)
		a.resumeOutbox()
		go a.Update.checkForUpdate()
		// Dropped files and folders arrive with their real paths; the
		// import reports its progress through events.
		a.rt.OnFileDrop(ctx, func(paths []string) {
			go func() {
				if _, err := a.Dataset.ImportFiles(paths); err != nil {
					a.log.Error("import of dropped files", "err", err)
				}
			}()
		})
	}
}

// Shutdown is given to Wails as OnShutdown.
func Shutdown(a *App) func(context.Context) {
	return func(context.Context) { a.close() }
}

func (a *core) close() {
	a.acct.mu.Lock()
	if a.acct.stop != nil {
		a.acct.stop()
	}
	a.acct.mu.Unlock()
	if err := a.store.Close(); err != nil {
		a.log.Error("close store", "err", err)
	}
	a.flush()
	a.logFile.Close()
}

// Info describes the running app.
type Info struct {
	Version string `json:"version"`
	DataDir string `json:"data_dir"`
	// Locale is the OS locale as a BCP 47 tag ("pt-BR"), "" when unset:
	// the language the studio starts in until the user picks one.
	Locale string `json:"locale,omitempty"`
}

// AppInfo returns the version, the data folder and the OS locale.
func (a *App) AppInfo() Info {
	return Info{Version: a.version, DataDir: a.dataDir, Locale: systemLocale()}
}

// TargetPlatforms returns the platforms a prompt can be compiled for. None
// of them can be trained.
func (a *App) TargetPlatforms() []studio.Platform { return studio.Platforms() }

// Selection is what the studio's two dropdowns hold.
type Selection struct {
	TargetPlatform string `json:"target_platform"`
	BaseModel      string `json:"base_model"`
}

// DefaultSelection is what a new user sees.
var DefaultSelection = Selection{TargetPlatform: studio.Veo31, BaseModel: studio.FluxDev}

// GetSelection returns the saved selection, or the default one.
func (a *App) GetSelection() (Selection, error) {
	sel := DefaultSelection
	if v, err := a.store.Setting(a.ctx, "target_platform"); err == nil {
		sel.TargetPlatform = v
	} else if studio.ErrorCode(err) != studio.ENotFound {
		return Selection{}, a.fail("read selection", err)
	}
	if v, err := a.store.Setting(a.ctx, "base_model"); err == nil {
		sel.BaseModel = v
	} else if studio.ErrorCode(err) != studio.ENotFound {
		return Selection{}, a.fail("read selection", err)
	}
	return sel, nil
}

// SetSelection checks and saves both choices. A target platform where a
// base model belongs (or the reverse) is refused: platforms never train.
func (a *App) SetSelection(sel Selection) (Selection, error) {
	if _, err := studio.LookupPlatform(sel.TargetPlatform); err != nil {
		return Selection{}, a.fail("set selection", err)
	}
	if _, err := studio.LookupBaseModel(sel.BaseModel); err != nil {
		return Selection{}, a.fail("set selection", err)
	}
	// A newly picked model must be one the server trains; one saved before
	// its provider changed stays, so the platform can still be changed.
	if cur, err := a.GetSelection(); err == nil && cur.BaseModel != sel.BaseModel {
		if err := a.Training.checkTrainable(sel.BaseModel); err != nil {
			return Selection{}, a.fail("set selection", err)
		}
	}
	if err := a.store.SetSettings(a.ctx, map[string]string{
		"target_platform": sel.TargetPlatform,
		"base_model":      sel.BaseModel,
	}); err != nil {
		return Selection{}, a.fail("save selection", err)
	}
	a.log.Info("selection saved", "target_platform", sel.TargetPlatform, "base_model", sel.BaseModel)
	a.rt.Emit(a.ctx, "selection:changed", sel)
	return sel, nil
}

// fail logs err and returns what the frontend shows: "code: message", so
// the UI can branch on the code and print the message.
func (a *core) fail(op string, err error) error {
	code := studio.ErrorCode(err)
	if code == studio.EInternal {
		a.log.Error(op, "err", err)
	}
	return errors.New(code + ": " + studio.ErrorMessage(err))
}

// readCtx is the context of a read the window waits on: a.ctx bounded by
// the read timeout.
func (a *core) readCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(a.ctx, a.readTimeout)
}
