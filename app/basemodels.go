package app

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"github.com/promptforge/lorastudio/internal/studio"
	"github.com/promptforge/lorastudio/sync/client"
)

// Where a BaseModelList comes from.
const (
	ModelsFromServer = "server" // the signed-in server's GPU provider, just now
	ModelsSaved      = "saved"  // the server's list as last seen; it did not answer now
	ModelsLocal      = "local"  // signed out: every base model LoRA Studio knows
)

// BaseModelList is what the Trainable Base Model dropdown offers: what the
// signed-in server's GPU provider trains, or, signed out, every base model
// LoRA Studio knows (the server decides at sign-in).
type BaseModelList struct {
	Models    []studio.BaseModel `json:"models"`
	Source    string             `json:"source"`
	CheckedAt *time.Time         `json:"checked_at,omitempty"`
	Note      string             `json:"note,omitempty"` // why the list is not fresh from the server
}

// savedModels is the server's list as last seen, kept in the settings.
type savedModels struct {
	ServerURL string    `json:"server_url"`
	Email     string    `json:"email"`
	IDs       []string  `json:"ids"`
	CheckedAt time.Time `json:"checked_at"`
}

const savedModelsKey = "server_base_models"

// BaseModels returns, at once and without the network, the models a LoRA
// can be trained on: signed in, the server's list as last seen (every model
// LoRA Studio knows until it has been seen); signed out, the registry.
// RefreshBaseModels asks the server.
func (a *TrainingService) BaseModels() BaseModelList {
	if _, err := a.signedIn(); err != nil {
		return BaseModelList{Models: studio.BaseModels(), Source: ModelsLocal}
	}
	if saved, ok := a.savedModels(); ok {
		return BaseModelList{Models: registryModels(saved.IDs), Source: ModelsSaved, CheckedAt: &saved.CheckedAt}
	}
	return BaseModelList{Models: studio.BaseModels(), Source: ModelsLocal, Note: "not yet checked with the server"}
}

// RefreshBaseModels asks the signed-in server which base models its GPU
// provider trains, and keeps the answer for BaseModels. When the server
// does not answer, it returns the list as last seen with the reason.
func (a *TrainingService) RefreshBaseModels() BaseModelList {
	c, err := a.signedIn()
	if err != nil {
		return BaseModelList{Models: studio.BaseModels(), Source: ModelsLocal}
	}
	ctx, cancel := a.readCtx()
	defer cancel()
	ms, err := a.fetchTrainable(ctx, c)
	if err != nil {
		l := a.BaseModels()
		l.Note = "the server did not answer (" + studio.ErrorMessage(err) + ")"
		if l.Source == ModelsSaved {
			l.Note += "; this is its list as last seen"
		} else {
			l.Note += "; these are all the base models LoRA Studio knows, and the server may not train every one"
		}
		return l
	}
	now := time.Now().UTC()
	ids := make([]string, len(ms))
	for i, m := range ms {
		ids[i] = m.ID
	}
	a.acct.mu.Lock()
	who := a.acct.who
	a.acct.mu.Unlock()
	if b, err := json.Marshal(savedModels{ServerURL: who.ServerURL, Email: who.Email, IDs: ids, CheckedAt: now}); err == nil {
		if err := a.store.SetSettings(a.ctx, map[string]string{savedModelsKey: string(b)}); err != nil {
			a.log.Warn("base models not saved", "err", err)
		}
	}
	return BaseModelList{Models: registryModels(ids), Source: ModelsFromServer, CheckedAt: &now}
}

// savedModels returns the signed-in account's saved list, if any.
func (a *TrainingService) savedModels() (savedModels, bool) {
	v, err := a.store.Setting(a.ctx, savedModelsKey)
	if err != nil {
		return savedModels{}, false
	}
	var s savedModels
	a.acct.mu.Lock()
	who := a.acct.who
	a.acct.mu.Unlock()
	if json.Unmarshal([]byte(v), &s) != nil || s.ServerURL != who.ServerURL || s.Email != who.Email {
		return savedModels{}, false
	}
	return s, true
}

// registryModels maps ids to the registry's models, in the registry's
// order, leaving out any id this version of the app does not know.
func registryModels(ids []string) []studio.BaseModel {
	out := []studio.BaseModel{}
	for _, m := range studio.BaseModels() {
		if slices.Contains(ids, m.ID) {
			out = append(out, m)
		}
	}
	return out
}

// checkTrainable refuses, when signed in, a base model the server's
// provider was last seen not to train.
func (a *TrainingService) checkTrainable(id string) error {
	if _, err := a.signedIn(); err != nil {
		return nil
	}
	if s, ok := a.savedModels(); ok && !slices.Contains(s.IDs, id) {
		return studio.Errorf(studio.EBaseModelUnsupported, "the server's GPU provider does not train %s; pick one of the models it lists", id)
	}
	return nil
}

// Preset is a base model's training parameters as the server starts them.
type Preset struct {
	Rank            int     `json:"rank"`
	Steps           int     `json:"steps"`
	LearningRate    float64 `json:"learning_rate"`
	Resolution      int     `json:"resolution"`
	TriggerWord     string  `json:"trigger_word"`
	CaptionTemplate string  `json:"caption_template"`
}

// TrainableModel is a base model the signed-in server can train, with its
// preset.
type TrainableModel struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Preset Preset `json:"preset"`
}

// TrainableModels asks the server which base models its GPU provider
// trains, and their presets, so the training settings offer only what
// will be accepted.
func (a *TrainingService) TrainableModels() ([]TrainableModel, error) {
	c, err := a.signedIn()
	if err != nil {
		return nil, a.fail("trainable models", err)
	}
	ctx, cancel := a.readCtx()
	defer cancel()
	out, err := a.fetchTrainable(ctx, c)
	if err != nil {
		return nil, a.fail("trainable models", err)
	}
	return out, nil
}

func (a *TrainingService) fetchTrainable(ctx context.Context, c *client.Client) ([]TrainableModel, error) {
	bms, err := c.BaseModels(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]TrainableModel, len(bms))
	for i, m := range bms {
		out[i] = TrainableModel{ID: m.ID, Name: m.Name, Preset: Preset(m.Preset)}
	}
	return out, nil
}
