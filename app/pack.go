package app

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/promptforge/lorastudio/internal/charpack"
	"github.com/promptforge/lorastudio/internal/compiler"
	"github.com/promptforge/lorastudio/internal/dataset"
	"github.com/promptforge/lorastudio/internal/studio"
)

// Exported says where a Character Pack went.
type Exported struct {
	Path       string `json:"path"` // "" when the user canceled the dialog
	SHA256     string `json:"sha256,omitempty"`
	References int    `json:"references"`
	Platform   string `json:"platform_name,omitempty"`
}

// ExportPack asks where to save, then writes the Character Pack there.
func (a *CompileService) ExportPack(req compiler.Request) (Exported, error) {
	p, err := compiler.Lookup(req.Platform)
	if err != nil {
		return Exported{}, a.fail("export", err)
	}
	path, err := a.rt.SaveFile(a.ctx, "Save the Character Pack", "lorastudio-"+p.ID+".zip")
	if err != nil {
		return Exported{}, a.fail("export", err)
	}
	if path == "" {
		return Exported{}, nil
	}
	return a.ExportPackTo(req, path)
}

// ExportPackTo writes the Character Pack for a target platform to path,
// with references chosen from the last validation of the imported photos.
// It is what the save dialog leads to.
func (a *CompileService) ExportPackTo(req compiler.Request, path string) (Exported, error) {
	ctx := a.ctx
	if !strings.HasSuffix(strings.ToLower(path), ".zip") {
		path += ".zip"
	}
	ds, err := a.store.DraftDataset(ctx)
	if err != nil {
		return Exported{}, a.fail("export", err)
	}
	raw, _, err := a.store.Report(ctx, ds)
	if err != nil {
		return Exported{}, a.fail("export", err)
	}
	if raw == nil {
		return Exported{}, a.fail("export", studio.Errorf(studio.EDatasetNotValidated, "validate your photos first: the pack's references are chosen from the validation"))
	}
	var rep dataset.Report
	if err := json.Unmarshal(raw, &rep); err != nil {
		return Exported{}, a.fail("export", err)
	}
	items, err := a.store.Items(ctx, ds)
	if err != nil {
		return Exported{}, a.fail("export", err)
	}
	byName := make(map[string]string, len(items))
	for _, it := range items {
		byName[it.Name] = it.LocalPath
	}
	req.Options.References = -1 // a pack carries as many as the platform takes
	// The save dialog has asked before replacing a file.
	pack, res, sum, err := charpack.WriteFile(ctx, path, charpack.Input{
		Request: req, DatasetHash: rep.DatasetHash, Encode: charpack.DatasetEncoder,
		Candidates: charpack.Candidates(&rep, func(f string) string { return byName[f] }),
	}, true)
	if err != nil {
		return Exported{}, a.fail("export", err)
	}
	a.log.Info("character pack exported", "path", path, "platform", req.Platform, "references", len(pack.Manifest.References))
	return Exported{Path: path, SHA256: sum, References: len(pack.Manifest.References), Platform: res.PlatformName}, nil
}

// RevealInFileManager opens the folder holding path, with the file
// selected where the OS allows it.
func (a *CompileService) RevealInFileManager(path string) error {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		cmd = exec.Command("open", "-R", path)
	case "windows":
		cmd = exec.Command("explorer", "/select,", path)
	default:
		cmd = exec.Command("xdg-open", filepath.Dir(path))
	}
	if err := cmd.Start(); err != nil {
		return a.fail("reveal", studio.Errorf(studio.EUnavailable, "could not open the file manager: the pack is at %s", path))
	}
	go cmd.Wait() // reap it; the file manager outlives this call
	return nil
}
