package app

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/promptforge/lorastudio/app/localstore"
	"github.com/promptforge/lorastudio/internal/studio"
	"github.com/promptforge/lorastudio/internal/update"
)

// UpdateService offers a newer release.
type UpdateService struct{ *core }

// EventUpdateStatus carries the update.Status after the startup check.
const EventUpdateStatus = "update:status"

// updateStateKey is the setting the update check's state is kept under.
const updateStateKey = "update_state"

// newUpdateChecker reads the release URL from LORASTUDIO_UPDATE_URL, else
// the update_url setting, else the one built in; without any, or without
// the release key, there is no check.
func newUpdateChecker(ctx context.Context, cfg Config, store *localstore.Store) (*update.Checker, error) {
	url := cfg.Getenv("LORASTUDIO_UPDATE_URL")
	if url == "" {
		url, _ = store.Setting(ctx, "update_url")
	}
	if url == "" {
		url = update.DefaultURL
	}
	key := cfg.UpdateKey
	if key == nil && update.PublicKey != "" {
		var err error
		if key, err = update.ParseKey(update.PublicKey); err != nil {
			return nil, err
		}
	}
	return &update.Checker{URL: url, Key: key, Current: cfg.Version, Store: updateStore{store}}, nil
}

// checkForUpdate runs once at startup: at most one request a day, and
// only the verified, newer release reaches the UI.
func (a *UpdateService) checkForUpdate() {
	st, err := a.upd.CheckDaily(a.ctx)
	if err != nil {
		a.log.Warn("update check", "err", err)
	}
	if !st.Enabled {
		return
	}
	if st.Available != nil {
		a.log.Info("update available", "version", st.Available.Version)
	}
	a.rt.Emit(a.ctx, EventUpdateStatus, st)
}

// UpdateStatus returns what the last update check found, without checking.
func (a *UpdateService) UpdateStatus() (update.Status, error) {
	st, err := a.upd.Status(a.ctx)
	if err != nil {
		return update.Status{}, a.fail("read update status", err)
	}
	return st, nil
}

// DismissUpdate hides the offer of version until a newer release comes.
func (a *UpdateService) DismissUpdate(version string) (update.Status, error) {
	st, err := a.upd.Dismiss(a.ctx, version)
	if err != nil {
		return update.Status{}, a.fail("dismiss update", err)
	}
	return st, nil
}

// OpenUpdatePage opens the offered release's download page in the browser.
// The page is the one in the verified manifest, never a URL from the UI.
// Returns ENotFound when no release is offered.
func (a *UpdateService) OpenUpdatePage() error {
	st, err := a.upd.Status(a.ctx)
	if err != nil {
		return a.fail("open update page", err)
	}
	if st.Available == nil {
		return a.fail("open update page", studio.Errorf(studio.ENotFound, "no newer release is offered"))
	}
	a.log.Info("update page opened", "version", st.Available.Version)
	a.rt.OpenURL(a.ctx, st.Available.URL)
	return nil
}

// updateStore keeps the update check's state in the settings table.
type updateStore struct{ s *localstore.Store }

func (u updateStore) LoadUpdate(ctx context.Context) (update.State, error) {
	var st update.State
	v, err := u.s.Setting(ctx, updateStateKey)
	if studio.ErrorCode(err) == studio.ENotFound {
		return st, nil
	}
	if err != nil {
		return st, err
	}
	// A state this version cannot read is started afresh: it only costs a check.
	if err := json.Unmarshal([]byte(v), &st); err != nil {
		return update.State{}, nil
	}
	return st, nil
}

func (u updateStore) SaveUpdate(ctx context.Context, st update.State) error {
	b, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("app: update state: %w", err)
	}
	return u.s.SetSettings(ctx, map[string]string{updateStateKey: string(b)})
}
