// Package install puts a downloaded LoRA where the user's generator finds
// it: it knows the usual LoRA folders of ComfyUI, Forge/A1111, SwarmUI and
// InvokeAI, and copies the file under the exact name the prompt compiler
// and the ComfyUI workflow use, never replacing a different file silently.
package install

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/promptforge/lorastudio/internal/studio"
)

// Error codes (studio's): EInstallConflict, a different file already has
// the name (the user decides); EInstallFolderMissing, the folder does not
// exist or is not a folder.

// Folder is a place a generator loads LoRAs from.
type Folder struct {
	App  string `json:"app"`  // "ComfyUI", "Forge / A1111", "SwarmUI", "InvokeAI", "Chosen folder"
	Path string `json:"path"` // absolute
	// Note says what else the user does there, if anything.
	Note string `json:"note,omitempty"`
}

// layout is one generator's LoRA folder relative to an install root.
type layout struct {
	app, rel, note string
}

var layouts = []layout{
	{"ComfyUI", "models/loras", ""},
	{"Forge / A1111", "models/Lora", ""},
	{"SwarmUI", "Models/Lora", ""},
	{"InvokeAI", "autoimport/lora", "InvokeAI 3 imports this folder when it starts; in InvokeAI 4 and later, open the Model Manager and add the installed file by its path."},
}

// roots are where people usually install each generator, relative to the
// home folder. The first path element that exists wins per generator.
var roots = map[string][]string{
	"ComfyUI": {
		"ComfyUI", "Documents/ComfyUI", "comfy/ComfyUI", "ComfyUI_windows_portable/ComfyUI",
		"Desktop/ComfyUI_windows_portable/ComfyUI", "AppData/Local/Programs/@comfyorgcomfyui-electron/resources/ComfyUI",
	},
	"Forge / A1111": {
		"stable-diffusion-webui-forge", "stable-diffusion-webui", "webui_forge/webui", "Documents/stable-diffusion-webui-forge",
		"Documents/stable-diffusion-webui", "sd.webui/webui",
	},
	"SwarmUI":  {"SwarmUI", "Documents/SwarmUI", "StableSwarmUI"},
	"InvokeAI": {"invokeai", "Documents/invokeai"},
}

// Detect returns the LoRA folders of the generators installed in the usual
// places under home, plus each of extra that still exists (folders the
// user chose before), without duplicates.
func Detect(home string, extra []string) []Folder {
	var out []Folder
	seen := map[string]bool{}
	add := func(f Folder) {
		if p, err := filepath.Abs(f.Path); err == nil {
			f.Path = p
		}
		if !seen[f.Path] && isDir(f.Path) {
			seen[f.Path] = true
			out = append(out, f)
		}
	}
	for _, l := range layouts {
		for _, r := range roots[l.app] {
			p := filepath.Join(home, filepath.FromSlash(r), filepath.FromSlash(l.rel))
			if isDir(p) {
				add(Folder{App: l.app, Path: p, Note: l.note})
				break
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].App < out[j].App })
	for _, p := range extra {
		add(Folder{App: appOf(p), Path: p})
	}
	return out
}

// FolderAt describes a folder the user chose: the generator whose layout
// it matches, if any. Returns studio.EInstallFolderMissing when path is not a folder.
func FolderAt(path string) (Folder, error) {
	p, err := filepath.Abs(path)
	if err != nil || !isDir(p) {
		return Folder{}, studio.Errorf(studio.EInstallFolderMissing, "the folder %s does not exist; choose another one", path)
	}
	f := Folder{App: appOf(p), Path: p}
	for _, l := range layouts {
		if l.app == f.App {
			f.Note = l.note
		}
	}
	return f, nil
}

// appOf names the generator whose layout path ends with, if any.
func appOf(path string) string {
	for _, l := range layouts {
		if filepath.Base(path) == filepath.Base(filepath.FromSlash(l.rel)) &&
			filepath.Base(filepath.Dir(path)) == filepath.Base(filepath.Dir(filepath.FromSlash(l.rel))) {
			return l.app
		}
	}
	return "Chosen folder"
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// Result says what Install did.
type Result struct {
	Path string `json:"path"`
	// Already is true when the same file was there: nothing was copied.
	Already bool `json:"already"`
}

// Install copies src into dir under name (a studio.LoRAFileName). The
// same bytes already there are kept; a different file with that name is
// studio.EInstallConflict unless replace, then it is replaced atomically. Returns
// studio.EInstallFolderMissing when dir is not a folder, EInvalid for a name that is not a
// plain file name.
func Install(src, dir, name string, replace bool) (Result, error) {
	if name == "" || filepath.Base(name) != name || name == "." || name == ".." {
		return Result{}, studio.Errorf(studio.EInvalid, "%q is not a file name", name)
	}
	if !isDir(dir) {
		return Result{}, studio.Errorf(studio.EInstallFolderMissing, "the folder %s does not exist; choose another one", dir)
	}
	dest := filepath.Join(dir, name)
	srcSum, err := fileSHA256(src)
	if err != nil {
		return Result{}, fmt.Errorf("install: read the download: %w", err)
	}
	switch destSum, err := fileSHA256(dest); {
	case err == nil && destSum == srcSum:
		return Result{Path: dest, Already: true}, nil
	case err == nil && !replace:
		return Result{}, studio.Errorf(studio.EInstallConflict, "%s already holds a different %s; replace it, or install into another folder", dir, name)
	case err != nil && !errors.Is(err, os.ErrNotExist):
		return Result{}, fmt.Errorf("install: %w", err)
	}
	if err := copyAtomic(src, dest); err != nil {
		if errors.Is(err, os.ErrPermission) {
			return Result{}, studio.Errorf(studio.EForbidden, "cannot write into %s: permission denied; choose a folder you can write to", dir)
		}
		return Result{}, fmt.Errorf("install: %w", err)
	}
	return Result{Path: dest}, nil
}

// copyAtomic writes src to a temporary file beside dest and renames it, so
// a generator scanning the folder never loads half a file.
func copyAtomic(src, dest string) (err error) {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp, err := os.CreateTemp(filepath.Dir(dest), ".lorastudio-*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err = io.Copy(tmp, in); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), dest)
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
