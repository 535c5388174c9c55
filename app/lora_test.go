package app_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/promptforge/lorastudio/app"
	"github.com/promptforge/lorastudio/backend/api"
	"github.com/promptforge/lorastudio/backend/auth"
	"github.com/promptforge/lorastudio/backend/blob"
	"github.com/promptforge/lorastudio/backend/pgstore"
	"github.com/promptforge/lorastudio/internal/consent"
	"github.com/promptforge/lorastudio/internal/safetensors"
	"github.com/promptforge/lorastudio/internal/studio"
	"github.com/promptforge/lorastudio/internal/worker"
	"github.com/promptforge/lorastudio/sync/download"
	"github.com/promptforge/lorastudio/sync/synctest"
)

// storage is the backend's blob store as the tests see it: what its GETs
// served (slowly, so that a download can be stopped half-way).
type storage struct {
	blobs  blob.Store
	store  *pgstore.Store
	served atomic.Int64
	mu     sync.Mutex
	ranges []string // the Range header of each GET
}

// slowWriter passes a GET's body on at about 10 MB/s and counts it.
type slowWriter struct {
	http.ResponseWriter
	n *atomic.Int64
}

func (w slowWriter) Write(p []byte) (int, error) {
	time.Sleep(3 * time.Millisecond)
	n, err := w.ResponseWriter.Write(p)
	w.n.Add(int64(n))
	return n, err
}

func newStorageBackend(t *testing.T) (*synctest.Backend, *storage) {
	st := &storage{}
	be := synctest.NewBackend(t, func(c *api.Config) {
		st.blobs, st.store = c.Blobs, c.Store.(*pgstore.Store)
		inner := c.BlobHandler
		c.BlobHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodGet {
				st.mu.Lock()
				st.ranges = append(st.ranges, r.Header.Get("Range"))
				st.mu.Unlock()
				w = slowWriter{ResponseWriter: w, n: &st.served}
			}
			inner.ServeHTTP(w, r)
		})
	})
	return be, st
}

func (st *storage) put(t *testing.T, key string, body []byte) {
	t.Helper()
	sum := sha256.Sum256(body)
	r, err := st.blobs.PresignPut(context.Background(), blob.Object{Key: key, Size: int64(len(body)), ContentType: "application/octet-stream", SHA256: hex.EncodeToString(sum[:])}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := blob.NewHTTPRequest(context.Background(), r, bytes.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode/100 != 2 {
		t.Fatalf("put %s: %v %v", key, resp, err)
	}
	resp.Body.Close()
}

func randomBytes(n int, seed uint64) []byte {
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(seed, 7))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func hexSum(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

// trained is a job seeded through the backend's store as the worker's
// webhooks would leave it: a checkpoint at step 250 whose stored file was
// corrupted afterwards, then success with the final LoRA.
type trained struct {
	jobID, versionID string
	lora             []byte
}

func (st *storage) seedTraining(t *testing.T, token string) trained {
	t.Helper()
	ctx := context.Background()
	uid, err := st.store.UserIDByToken(ctx, auth.HashToken(token))
	if err != nil {
		t.Fatal(err)
	}
	d, _, err := st.store.NewDataset(ctx, uid, "alice", []pgstore.Upload{{Name: "a.jpg", Size: 1, ContentType: "image/jpeg", SHA256: hexSum([]byte("a"))}},
		func(id string, u pgstore.Upload) string {
			return pgstore.KeyPrefix(uid) + "datasets/" + id + "/" + u.SHA256 + ".jpg"
		}, pgstore.Quota{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.store.SaveValidation(ctx, uid, d.ID, []byte(`{"ok":true}`), 20, true, nil); err != nil {
		t.Fatal(err)
	}
	v, j, err := st.store.CreateJob(ctx, pgstore.NewJob{UserID: uid, DatasetID: d.ID, BaseModel: "flux-dev", Params: []byte(`{}`), Provider: "test",
		DispatchKey: func(id string) string { return "d-" + id },
		ArtifactKey: func(id string) string { return pgstore.KeyPrefix(uid) + "jobs/" + id + "/lora.safetensors" }})
	if err != nil {
		t.Fatal(err)
	}
	prefix := pgstore.KeyPrefix(uid) + "jobs/" + j.ID + "/"
	png := []byte("\x89PNG\r\n\x1a\n a sample")
	st.put(t, prefix+"samples/000250-00.png", png)
	ckpt := randomBytes(300<<10, 2)
	st.put(t, prefix+"checkpoints/000250.safetensors", randomBytes(300<<10, 3)) // not what was recorded: corrupted
	if _, _, err := st.store.ApplyJobEvent(ctx, pgstore.JobEvent{WebhookID: "w1", JobID: j.ID, Status: studio.JobRunning, Progress: 0.5,
		Checkpoint: &pgstore.Checkpoint{Step: 250, ArtifactKey: prefix + "checkpoints/000250.safetensors", ArtifactSHA256: hexSum(ckpt), ArtifactSize: int64(len(ckpt)),
			Samples: []pgstore.CheckpointSample{{Index: 0, Prompt: "a photo of ohwx person", Key: prefix + "samples/000250-00.png", SHA256: hexSum(png), Size: int64(len(png))}}}}); err != nil {
		t.Fatal(err)
	}
	// A genuine LoRA (4 MiB of zero weights) carrying the ModelSpec keys.
	var lb bytes.Buffer
	if err := safetensors.WriteLoRA(&lb, []string{"lora_unet_a", "lora_unet_b"}, 4, 65536, map[string]string{worker.KeyTriggerPhrase: "alicex person"}); err != nil {
		t.Fatal(err)
	}
	lora := lb.Bytes()
	st.put(t, prefix+"lora.safetensors", lora)
	if _, _, err := st.store.ApplyJobEvent(ctx, pgstore.JobEvent{WebhookID: "w2", JobID: j.ID, Status: studio.JobSucceeded, Progress: 1,
		ArtifactKey: prefix + "lora.safetensors", ArtifactSHA256: hexSum(lora), ArtifactSize: int64(len(lora))}); err != nil {
		t.Fatal(err)
	}
	return trained{jobID: j.ID, versionID: v.ID, lora: lora}
}

func find(vs []app.Version, id string) *app.Version {
	for i := range vs {
		if vs[i].ID == id {
			return &vs[i]
		}
	}
	return nil
}

func errCode(err error) string {
	if err == nil {
		return ""
	}
	code, _, _ := strings.Cut(err.Error(), ": ")
	return code
}

// A trained LoRA reaches this computer: stopped half-way, the download
// resumes with a Range; it is verified, recorded, and listed offline. It
// installs into a ComfyUI tree under its one name, asks before replacing a
// different file, and the folder chosen is remembered across a restart.
func TestDownloadAndInstall(t *testing.T) {
	be, st := newStorageBackend(t)
	srv := be.SignUp(t, "alice@example.com")
	job := st.seedTraining(t, srv.Token())
	home := t.TempDir()
	comfy := filepath.Join(home, "ComfyUI", "models", "loras")
	if err := os.MkdirAll(comfy, 0o755); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	withHome := func(c *app.Config) { c.Home = home }
	a, rt := newAppWith(t, dir, withHome)
	if _, err := a.Account.SignIn(app.SignInRequest{ServerURL: be.URL, Email: "alice@example.com", Password: "a long passphrase"}); err != nil {
		t.Fatal(err)
	}
	vs, err := a.Training.Versions()
	if err != nil || len(vs.Versions) != 1 || vs.Versions[0].Status != "ready" || vs.Versions[0].Download != nil {
		t.Fatalf("versions: %+v, %v; want one ready, not downloaded", vs, err)
	}
	if _, err := a.LoRA.InstallVersion(app.InstallRequest{VersionID: job.versionID, Folder: comfy}); errCode(err) != studio.ENotFound {
		t.Errorf("install before downloading: %v, want not_found", err)
	}

	// Stopped half-way: the bytes stay in the .part file.
	dest := filepath.Join(dir, "loras", "alice-v1-flux-dev.safetensors")
	errc := make(chan error, 1)
	go func() { _, err := a.LoRA.DownloadVersion(job.versionID); errc <- err }()
	waitFor(t, "a quarter of the file is here", func() bool {
		fi, err := os.Stat(download.PartPath(dest))
		return err == nil && fi.Size() > int64(len(job.lora))/4
	})
	a.LoRA.CancelDownload(job.versionID)
	if err := <-errc; errCode(err) != studio.EDownloadCanceled {
		t.Fatalf("canceled download: %v, want %s", err, studio.EDownloadCanceled)
	}
	fi, err := os.Stat(download.PartPath(dest))
	if err != nil || fi.Size() == 0 || fi.Size() >= int64(len(job.lora)) {
		t.Fatalf("after the cancel: %v, %v; want part of the file kept", fi, err)
	}
	first := st.served.Load()

	got, err := a.LoRA.DownloadVersion(job.versionID)
	if err != nil {
		t.Fatal(err)
	}
	second := st.served.Load() - first
	if got.Path != dest || got.Size != int64(len(job.lora)) || got.SHA256 != hexSum(job.lora) || got.Filename != "alice-v1-flux-dev.safetensors" {
		t.Errorf("download: %+v", got)
	}
	if b, _ := os.ReadFile(dest); !bytes.Equal(b, job.lora) {
		t.Fatal("the downloaded file is not the trained LoRA")
	}
	st.mu.Lock()
	last := st.ranges[len(st.ranges)-1]
	st.mu.Unlock()
	// The first response may still be draining into the counter: allow it.
	if rest := int64(len(job.lora)) - fi.Size(); last != fmt.Sprintf("bytes=%d-", fi.Size()) || second < rest || second > rest+256<<10 {
		t.Errorf("resumed with %q: %d bytes sent the second time, %d kept; want the %d left only", last, second, fi.Size(), rest)
	}
	if n := countEvents(rt, app.EventDownloadProgress); n < 2 {
		t.Errorf("%d download progress events, want several", n)
	}
	if _, err := os.Stat(download.PartPath(dest)); !os.IsNotExist(err) {
		t.Errorf("the .part file is left: %v", err)
	}

	// Listed as downloaded, online and offline; installed offline.
	if vs, _ := a.Training.Versions(); vs.Versions[0].Download == nil || vs.Versions[0].Download.Path != dest {
		t.Errorf("versions after the download: %+v", vs.Versions[0])
	}
	be.SetDown(true)
	if vs, err := a.Training.Versions(); err != nil || !vs.Offline || vs.Versions[0].Download == nil {
		t.Errorf("versions offline: %+v, %v; want the download marked", vs, err)
	}
	folders, err := a.LoRA.InstallFolders()
	if err != nil || len(folders) != 1 || folders[0].App != "ComfyUI" || folders[0].Path != comfy {
		t.Fatalf("folders: %+v, %v; want the ComfyUI one", folders, err)
	}
	inst, err := a.LoRA.InstallVersion(app.InstallRequest{VersionID: job.versionID, Folder: comfy})
	if err != nil {
		t.Fatal(err)
	}
	if inst.Path != filepath.Join(comfy, "alice-v1-flux-dev.safetensors") || inst.App != "ComfyUI" || inst.LoRAName != "alice-v1-flux-dev" || inst.WorkflowFile != "alice-v1-flux-dev.safetensors" {
		t.Errorf("installed: %+v; want the exact name, and the ComfyUI workflow loading it", inst)
	}
	if b, _ := os.ReadFile(inst.Path); !bytes.Equal(b, job.lora) {
		t.Error("the installed file is not the LoRA")
	}
	be.SetDown(false)

	// A chosen folder holding another file of that name: asked, then replaced.
	chosen := filepath.Join(t.TempDir(), "my loras")
	os.MkdirAll(chosen, 0o755)
	theirs := filepath.Join(chosen, "alice-v1-flux-dev.safetensors")
	os.WriteFile(theirs, []byte("somebody else's LoRA"), 0o644)
	rt.mu.Lock()
	rt.dir = chosen
	rt.mu.Unlock()
	if f, err := a.LoRA.ChooseInstallFolder(); err != nil || f == nil || f.Path != chosen || f.App != "Chosen folder" {
		t.Fatalf("choose folder: %+v, %v", f, err)
	}
	_, err = a.LoRA.InstallVersion(app.InstallRequest{VersionID: job.versionID, Folder: chosen})
	if errCode(err) != "install_conflict" || !strings.Contains(err.Error(), "already has a different alice-v1-flux-dev.safetensors — Replace it?") {
		t.Fatalf("install over another file: %v, want install_conflict asking to replace", err)
	}
	if b, _ := os.ReadFile(theirs); string(b) != "somebody else's LoRA" {
		t.Fatal("the other file was overwritten without asking")
	}
	if inst, err := a.LoRA.InstallVersion(app.InstallRequest{VersionID: job.versionID, Folder: chosen, Replace: true}); err != nil || inst.WorkflowFile != "" {
		t.Fatalf("replace: %+v, %v", inst, err)
	}
	if b, _ := os.ReadFile(theirs); !bytes.Equal(b, job.lora) {
		t.Error("not replaced")
	}

	// After a restart: the chosen folder and the download are remembered.
	app.Shutdown(a)(context.Background())
	b, _ := newAppWith(t, dir, withHome)
	folders, err = b.LoRA.InstallFolders()
	if err != nil || len(folders) != 2 || folders[1].Path != chosen {
		t.Errorf("folders after a restart: %+v, %v; want ComfyUI's and the chosen one", folders, err)
	}
	if vs, err := b.Training.Versions(); err != nil || vs.Versions[0].Download == nil {
		t.Errorf("versions after a restart: %+v, %v; want the download marked", vs, err)
	}
	if _, err := b.LoRA.AddInstallFolder(filepath.Join(home, "nowhere")); errCode(err) != "install_folder_missing" {
		t.Errorf("a folder that does not exist: %v", err)
	}
}

// Checkpoints show with their samples; one is made a version, whose file
// on the server was corrupted: the download says so and keeps nothing.
func TestCheckpointsAndCorruptDownload(t *testing.T) {
	be, st := newStorageBackend(t)
	srv := be.SignUp(t, "bob@example.com")
	job := st.seedTraining(t, srv.Token())
	dir := t.TempDir()
	a, _ := newApp(t, dir)
	if _, err := a.Account.SignIn(app.SignInRequest{ServerURL: be.URL, Email: "bob@example.com", Password: "a long passphrase"}); err != nil {
		t.Fatal(err)
	}
	cps, err := a.LoRA.Checkpoints(job.jobID)
	if err != nil || len(cps) == 0 || cps[0].Step != 250 || len(cps[0].Samples) != 1 {
		t.Fatalf("checkpoints: %+v, %v; want step 250 with its sample", cps, err)
	}
	resp, err := http.Get(cps[0].Samples[0].URL)
	if err != nil {
		t.Fatal(err)
	}
	png, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Errorf("the sample link: %d %q", resp.StatusCode, png)
	}
	v, err := a.LoRA.PromoteCheckpoint(job.jobID, 250)
	if err != nil || v.Number != 2 || v.Status != "ready" {
		t.Fatalf("promote: %+v, %v; want version 2 ready", v, err)
	}
	vs, _ := a.Training.Versions()
	if len(vs.Versions) != 2 || find(vs.Versions, v.ID) == nil {
		t.Errorf("versions after promoting: %+v", vs)
	}
	if _, err := a.LoRA.PromoteCheckpoint(job.jobID, 999); errCode(err) != studio.ENotFound {
		t.Errorf("promote a step that does not exist: %v", err)
	}
	_, err = a.LoRA.DownloadVersion(v.ID)
	if errCode(err) != studio.EDownloadCorrupt {
		t.Fatalf("download of a corrupted file: %v, want %s", err, studio.EDownloadCorrupt)
	}
	left, _ := filepath.Glob(filepath.Join(dir, "loras", "*"))
	if len(left) != 0 {
		t.Errorf("left after a corrupt download: %v", left)
	}
	if vs, _ := a.Training.Versions(); find(vs.Versions, v.ID).Download != nil {
		t.Error("a corrupt download is marked as downloaded")
	}
}

// Withdrawing consent erases the trained files on this computer too: the
// download, a stopped download's .part, and the copies installed into a
// generator's folder, but not a file the user has since put in the place
// of one of those copies.
func TestWithdrawalErasesLoRAs(t *testing.T) {
	be, st := newStorageBackend(t)
	srv := be.SignUp(t, "alice@example.com")
	job := st.seedTraining(t, srv.Token())
	home := t.TempDir()
	comfy := filepath.Join(home, "ComfyUI", "models", "loras")
	os.MkdirAll(comfy, 0o755)
	other := t.TempDir()
	dir := t.TempDir()
	a, _ := newAppWith(t, dir, func(c *app.Config) { c.Home = home })
	if _, err := a.Account.SignIn(app.SignInRequest{ServerURL: be.URL, Email: "alice@example.com", Password: "a long passphrase"}); err != nil {
		t.Fatal(err)
	}
	a.Consent.GiveConsent(consent.Current.Version, true)
	got, err := a.LoRA.DownloadVersion(job.versionID)
	if err != nil {
		t.Fatal(err)
	}
	inComfy, err := a.LoRA.InstallVersion(app.InstallRequest{VersionID: job.versionID, Folder: comfy})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.LoRA.AddInstallFolder(other); err != nil {
		t.Fatal(err)
	}
	inOther, err := a.LoRA.InstallVersion(app.InstallRequest{VersionID: job.versionID, Folder: other})
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(inOther.Path, []byte("the user's own file, put there since"), 0o644)
	part := download.PartPath(filepath.Join(dir, "loras", "another.safetensors"))
	os.WriteFile(part, []byte("half a download"), 0o600)

	e, err := a.Consent.WithdrawConsent()
	if err != nil {
		t.Fatal(err)
	}
	if e.LoRAs != 2 {
		t.Errorf("erased %d trained files, want 2 (the download and the ComfyUI copy)", e.LoRAs)
	}
	for _, p := range []string{got.Path, inComfy.Path, part} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s is still there after the withdrawal: %v", p, err)
		}
	}
	if b, _ := os.ReadFile(inOther.Path); string(b) != "the user's own file, put there since" {
		t.Errorf("the user's own file was touched: %q", b)
	}
	if vs, err := a.Training.Versions(); err == nil && len(vs.Versions) > 0 && vs.Versions[0].Download != nil {
		t.Errorf("a version is still marked downloaded: %+v", vs.Versions[0])
	}
}

// The compile screen is filled from the active version when its file is
// here: its file name and the trigger phrase read from the file.
func TestActiveLoRA(t *testing.T) {
	be, st := newStorageBackend(t)
	srv := be.SignUp(t, "alice@example.com")
	job := st.seedTraining(t, srv.Token())
	a, _ := newAppWith(t, t.TempDir(), func(*app.Config) {})
	if _, err := a.Account.SignIn(app.SignInRequest{ServerURL: be.URL, Email: "alice@example.com", Password: "a long passphrase"}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Training.Activate(job.versionID, 0.8, "flux-dev"); err != nil {
		t.Fatal(err)
	}
	a.Training.Versions() // the local copy learns which version is active
	if got, err := a.Compile.ActiveLoRA(); err != nil || got != nil {
		t.Fatalf("before the download: %+v, %v; want nothing to fill in", got, err)
	}
	if _, err := a.LoRA.DownloadVersion(job.versionID); err != nil {
		t.Fatal(err)
	}
	got, err := a.Compile.ActiveLoRA()
	if err != nil || got == nil {
		t.Fatalf("active LoRA: %+v, %v", got, err)
	}
	want := app.ActiveLoRA{VersionID: job.versionID, BaseModel: "flux-dev", Name: "alice-v1-flux-dev", Trigger: "alicex person", Weight: 0.8}
	if *got != want {
		t.Errorf("got %+v, want %+v", *got, want)
	}
}
