package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/promptforge/lorastudio/app/install"
	"github.com/promptforge/lorastudio/app/localstore"
	"github.com/promptforge/lorastudio/internal/compiler"
	"github.com/promptforge/lorastudio/internal/studio"
	"github.com/promptforge/lorastudio/internal/wire"
	"github.com/promptforge/lorastudio/sync/client"
	"github.com/promptforge/lorastudio/sync/download"
)

// LoRAService brings a trained LoRA to the user's generator: its
// checkpoints, the download and the install.
type LoRAService struct{ *core }

// The trained LoRA leaves the server for this computer (downloaded into
// the data folder, verified, recorded) and then for the user's generator
// (installed into its LoRA folder under the one file name).

// EventDownloadProgress carries DownloadProgress while a version downloads.
const EventDownloadProgress = "download:progress"

// The download and install methods answer studio.EDownloadCanceled and
// studio.EDownloadRunning, which the UI branches on.

// DownloadProgress is one step of a download. Message, when set, says in
// words what the download is doing about a problem.
type DownloadProgress struct {
	VersionID string `json:"version_id"`
	Done      int64  `json:"done"`
	Total     int64  `json:"total"`
	Message   string `json:"message,omitempty"`
}

// LocalLoRA is a version's LoRA file on this computer, checked against the
// server's sha256.
type LocalLoRA struct {
	VersionID    string    `json:"version_id"`
	Filename     string    `json:"filename"`
	Path         string    `json:"path"`
	Size         int64     `json:"size"`
	SHA256       string    `json:"sha256"`
	DownloadedAt time.Time `json:"downloaded_at"`
}

func localLoRA(d localstore.DownloadRow) *LocalLoRA {
	return &LocalLoRA{VersionID: d.VersionID, Filename: d.Filename, Path: d.Path, Size: d.Size, SHA256: d.SHA256, DownloadedAt: d.DownloadedAt}
}

// downloads are the downloads running, by version id.
type downloads struct {
	mu      sync.Mutex
	running map[string]context.CancelFunc
}

func (d *downloads) start(ctx context.Context, id string) (context.Context, func(), bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.running[id]; ok {
		return nil, nil, false
	}
	if d.running == nil {
		d.running = map[string]context.CancelFunc{}
	}
	ctx, cancel := context.WithCancel(ctx)
	d.running[id] = cancel
	return ctx, func() {
		d.mu.Lock()
		delete(d.running, id)
		d.mu.Unlock()
		cancel()
	}, true
}

// account returns the signed-in client and the key the account's rows are
// kept under.
func (a *core) account() (*client.Client, string, error) {
	c, err := a.signedIn()
	if err != nil {
		return nil, "", err
	}
	a.acct.mu.Lock()
	defer a.acct.mu.Unlock()
	return c, accountKey(a.acct.who), nil
}

// LorasDir is the folder of the downloaded LoRAs in the data folder.
func (a *LoRAService) lorasDir() string { return filepath.Join(a.dataDir, "loras") }

// DownloadVersion downloads a ready version's LoRA into the data folder,
// reporting EventDownloadProgress. It resumes what an earlier try (or a
// crash) left in "<file>.part", asks for a new link when one expires,
// retries a dropped connection, and counts the file only once its sha256
// matches the server's. A version already downloaded and intact returns at
// once, without the server. Returns download_canceled (CancelDownload),
// download_running, download_corrupt, download_url_expired, unavailable,
// version_not_ready, not_found.
func (a *LoRAService) DownloadVersion(versionID string) (LocalLoRA, error) {
	c, acct, err := a.account()
	if err != nil {
		return LocalLoRA{}, a.fail("download", err)
	}
	if d, err := a.store.Download(a.ctx, acct, versionID); err == nil {
		if ok, _ := download.Verify(d.Path, d.Size, d.SHA256); ok {
			a.emitDownload(DownloadProgress{VersionID: versionID, Done: d.Size, Total: d.Size})
			return *localLoRA(d), nil
		}
	}
	ctx, done, ok := a.dl.start(a.ctx, versionID)
	if !ok {
		return LocalLoRA{}, a.fail("download", studio.Errorf(studio.EDownloadRunning, "this version is already downloading"))
	}
	defer done()
	if err := os.MkdirAll(a.lorasDir(), 0o700); err != nil {
		return LocalLoRA{}, a.fail("download", fmt.Errorf("download: %w", err))
	}
	var art studio.Artifact
	src := func(ctx context.Context) (download.Target, error) {
		var err error
		if art, err = c.Artifact(ctx, versionID); err != nil {
			return download.Target{}, err
		}
		if art.Filename == "" || filepath.Base(art.Filename) != art.Filename || !strings.HasSuffix(art.Filename, ".safetensors") {
			return download.Target{}, studio.Errorf(studio.EInvalid, "the server named the file %q; that is not a LoRA file name", art.Filename)
		}
		return download.Target{URL: art.URL, SHA256: art.SHA256, Size: art.Size, Dest: filepath.Join(a.lorasDir(), art.Filename)}, nil
	}
	f := &download.Fetcher{Progress: func(p download.Progress) {
		a.emitDownload(DownloadProgress{VersionID: versionID, Done: p.Done, Total: p.Total})
	}}
	t, err := f.FetchFrom(ctx, src, download.Retry{}, func(r download.Renewal) {
		a.log.Info("download", "version_id", versionID, "renewal", r.Code)
		a.emitDownload(DownloadProgress{VersionID: versionID, Total: art.Size, Message: r.Message})
	})
	if errors.Is(err, context.Canceled) {
		return LocalLoRA{}, a.fail("download", studio.Errorf(studio.EDownloadCanceled, "download canceled; download again to resume where it stopped"))
	}
	if err != nil {
		return LocalLoRA{}, a.fail("download", err)
	}
	row := localstore.DownloadRow{Account: acct, VersionID: versionID, Filename: filepath.Base(t.Dest), Path: t.Dest, Size: t.Size, SHA256: t.SHA256}
	if err := a.store.SaveDownload(a.ctx, row); err != nil {
		return LocalLoRA{}, a.fail("download", err)
	}
	a.log.Info("version downloaded", "version_id", versionID, "path", t.Dest, "size", t.Size)
	d, err := a.store.Download(a.ctx, acct, versionID)
	if err != nil {
		return LocalLoRA{}, a.fail("download", err)
	}
	return *localLoRA(d), nil
}

func (a *LoRAService) emitDownload(p DownloadProgress) { a.rt.Emit(a.ctx, EventDownloadProgress, p) }

// CancelDownload stops a running download; its bytes stay in the .part
// file for the next try. Cancelling one that is not running does nothing.
func (a *LoRAService) CancelDownload(versionID string) {
	a.dl.mu.Lock()
	defer a.dl.mu.Unlock()
	if cancel, ok := a.dl.running[versionID]; ok {
		cancel()
	}
}

// markDownloaded sets Download on the versions whose file is here, intact
// by size (the sha256 was checked when it arrived).
func (a *LoRAService) markDownloaded(vs []Version) {
	_, acct, err := a.account()
	if err != nil {
		return
	}
	rows, err := a.store.Downloads(a.ctx, acct)
	if err != nil {
		a.log.Warn("downloads not read", "err", err)
		return
	}
	for i, v := range vs {
		if d, ok := rows[v.ID]; ok {
			if st, err := os.Stat(d.Path); err == nil && st.Size() == d.Size {
				vs[i].Download = localLoRA(d)
			}
		}
	}
}

const settingInstallFolders = "install_folders"

// InstallFolders lists the generators' LoRA folders found on this computer
// and the folders chosen before that still exist.
func (a *LoRAService) InstallFolders() ([]install.Folder, error) {
	chosen, err := a.chosenFolders()
	if err != nil {
		return nil, a.fail("install folders", err)
	}
	out := install.Detect(a.home, chosen)
	if out == nil {
		out = []install.Folder{}
	}
	return out, nil
}

func (a *LoRAService) chosenFolders() ([]string, error) {
	v, err := a.store.Setting(a.ctx, settingInstallFolders)
	if studio.ErrorCode(err) == studio.ENotFound {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	if err := json.Unmarshal([]byte(v), &out); err != nil {
		a.log.Warn("the remembered install folders are unreadable; starting afresh", "err", err)
		return nil, nil
	}
	return out, nil
}

// ChooseInstallFolder asks for a folder with the native dialog and
// remembers it. nil means the user canceled.
func (a *LoRAService) ChooseInstallFolder() (*install.Folder, error) {
	p, err := a.rt.OpenDirectory(a.ctx, "Choose the folder your generator loads LoRAs from")
	if err != nil {
		return nil, a.fail("choose folder", studio.Wrap(err, studio.EInternal, "the folder dialog failed"))
	}
	if p == "" {
		return nil, nil
	}
	f, err := a.AddInstallFolder(p)
	if err != nil {
		return nil, err
	}
	return &f, nil
}

// AddInstallFolder remembers a folder to install into; the folder dialog
// ends here. Returns install_folder_missing.
func (a *LoRAService) AddInstallFolder(path string) (install.Folder, error) {
	f, err := install.FolderAt(path)
	if err != nil {
		return install.Folder{}, a.fail("add folder", err)
	}
	chosen, err := a.chosenFolders()
	if err != nil {
		return install.Folder{}, a.fail("add folder", err)
	}
	for _, p := range chosen {
		if p == f.Path {
			return f, nil
		}
	}
	b, _ := json.Marshal(append(chosen, f.Path))
	if err := a.store.SetSettings(a.ctx, map[string]string{settingInstallFolders: string(b)}); err != nil {
		return install.Folder{}, a.fail("add folder", err)
	}
	return f, nil
}

// InstallRequest installs a downloaded version into a folder. Replace is
// the user's answer to install_conflict.
type InstallRequest struct {
	VersionID string `json:"version_id"`
	Folder    string `json:"folder"`
	Replace   bool   `json:"replace"`
}

// Installed says where the LoRA went and how the generator names it.
type Installed struct {
	Path    string `json:"path"`
	Already bool   `json:"already"` // the same file was there
	App     string `json:"app"`
	Note    string `json:"note,omitempty"`
	// LoRAName is the name a prompt's <lora:…> block and the compiled
	// ComfyUI workflow use for this file: enter it as the LoRA name.
	LoRAName string `json:"lora_name"`
	// WorkflowFile is the file the compiled ComfyUI workflow loads with
	// LoRAName (ComfyUI folders only): exactly the installed file.
	WorkflowFile string `json:"workflow_file,omitempty"`
}

// InstallVersion copies a downloaded version's LoRA into a generator's
// folder under its exact file name (studio.LoRAFileName). A different file
// with that name is never replaced unless req.Replace: the UI asks first.
// Returns not_found (download it first), install_conflict,
// install_folder_missing, forbidden.
func (a *LoRAService) InstallVersion(req InstallRequest) (Installed, error) {
	_, acct, err := a.account()
	if err != nil {
		return Installed{}, a.fail("install", err)
	}
	d, err := a.store.Download(a.ctx, acct, req.VersionID)
	if err != nil {
		return Installed{}, a.fail("install", studio.Errorf(studio.ENotFound, "download this version first"))
	}
	if ok, err := download.Verify(d.Path, d.Size, d.SHA256); err != nil || !ok {
		return Installed{}, a.fail("install", studio.Errorf(studio.EDownloadCorrupt, "the downloaded %s is missing or changed since; download it again", d.Filename))
	}
	f, err := install.FolderAt(req.Folder)
	if err != nil {
		return Installed{}, a.fail("install", err)
	}
	res, err := install.Install(d.Path, f.Path, d.Filename, req.Replace)
	if studio.ErrorCode(err) == studio.EInstallConflict {
		whose := f.App + "'s folder"
		if f.App == "Chosen folder" {
			whose = "The folder " + f.Path
		}
		err = studio.Errorf(studio.EInstallConflict, "%s already has a different %s — Replace it?", whose, d.Filename)
	}
	if err != nil {
		return Installed{}, a.fail("install", err)
	}
	// Recorded so that withdrawing consent deletes this copy too.
	if err := a.store.SaveInstall(a.ctx, localstore.InstallRow{Path: res.Path, Account: acct, VersionID: req.VersionID, SHA256: d.SHA256}); err != nil {
		return Installed{}, a.fail("install", err)
	}
	out := Installed{Path: res.Path, Already: res.Already, App: f.App, Note: f.Note, LoRAName: strings.TrimSuffix(d.Filename, ".safetensors")}
	if f.App == "ComfyUI" {
		out.WorkflowFile = a.workflowFile(req.VersionID, out.LoRAName)
	}
	a.log.Info("version installed", "version_id", req.VersionID, "path", res.Path, "already", res.Already)
	return out, nil
}

// workflowFile compiles a ComfyUI workflow for the version's base model
// with the installed name and returns the file its LoRA loader names, so
// the window shows what the workflow really loads ("" if it cannot).
func (a *LoRAService) workflowFile(versionID, name string) string {
	rows, _, err := a.store.Versions(a.ctx)
	if err != nil {
		return ""
	}
	for _, v := range rows {
		if v.ID != versionID {
			continue
		}
		res, err := compiler.Compile(compiler.Request{Platform: v.BaseModel, Prompt: compiler.Prompt{Text: "a portrait photo"}, Identity: compiler.Identity{Name: name}})
		if err != nil || res.Workflow == nil {
			a.log.Warn("no ComfyUI workflow for the installed name", "name", name, "err", err)
			return ""
		}
		var wf map[string]struct {
			ClassType string         `json:"class_type"`
			Inputs    map[string]any `json:"inputs"`
		}
		if json.Unmarshal(res.Workflow, &wf) != nil {
			return ""
		}
		for _, n := range wf {
			if n.ClassType == "LoraLoader" {
				s, _ := n.Inputs["lora_name"].(string)
				return s
			}
		}
	}
	return ""
}

// Checkpoints lists the checkpoints a job saved so far, each with its
// sample images (links valid for an hour: list again for new ones).
func (a *LoRAService) Checkpoints(jobID string) ([]studio.Checkpoint, error) {
	c, err := a.signedIn()
	if err != nil {
		return nil, a.fail("read checkpoints", err)
	}
	ctx, cancel := a.readCtx()
	defer cancel()
	cps, err := c.Checkpoints(ctx, jobID)
	if err != nil {
		return nil, a.fail("read checkpoints", err)
	}
	if cps == nil {
		cps = []studio.Checkpoint{}
	}
	return cps, nil
}

// PromoteCheckpoint makes a checkpoint of a succeeded job a version (the
// same one if asked again; the last step is the job's own version) and
// refreshes the versions kept here. Returns job_not_succeeded, not_found.
func (a *LoRAService) PromoteCheckpoint(jobID string, step int) (wire.Version, error) {
	c, err := a.signedIn()
	if err != nil {
		return wire.Version{}, a.fail("make a version", err)
	}
	v, err := c.PromoteCheckpoint(a.ctx, jobID, step)
	if err != nil {
		return wire.Version{}, a.fail("make a version", err)
	}
	if _, err := a.Training.Versions(); err != nil {
		a.log.Warn("versions not refreshed after a promotion", "err", err)
	}
	return v, nil
}

// eraseLoRAs deletes every downloaded LoRA and every copy this app
// installed that is still the file it copied (a file the user has since
// replaced is theirs), then forgets them. Returns how many files went.
func (a *LoRAService) eraseLoRAs() (int, error) {
	downloads, installs, err := a.store.LoRAFiles(a.ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, in := range installs {
		if ok, err := download.Verify(in.Path, -1, in.SHA256); err == nil && ok {
			if err := os.Remove(in.Path); err != nil && !errors.Is(err, os.ErrNotExist) {
				return n, fmt.Errorf("erase %s: %w", in.Path, err)
			}
			n++
		}
	}
	for _, d := range downloads {
		if _, err := os.Stat(d.Path); err == nil {
			n++
		}
	}
	// The whole folder: downloads and any .part left by a stopped one.
	if err := os.RemoveAll(a.lorasDir()); err != nil && !errors.Is(err, os.ErrNotExist) {
		return n, fmt.Errorf("erase downloads: %w", err)
	}
	return n, a.store.ForgetLoRAFiles(a.ctx)
}
