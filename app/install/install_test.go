package install_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/promptforge/lorastudio/app/install"
	"github.com/promptforge/lorastudio/internal/studio"
)

func mkdirs(t *testing.T, root string, rels ...string) {
	t.Helper()
	for _, r := range rels {
		if err := os.MkdirAll(filepath.Join(root, filepath.FromSlash(r)), 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

func TestDetect(t *testing.T) {
	home := t.TempDir()
	mkdirs(t, home,
		"Documents/ComfyUI/models/loras",
		"stable-diffusion-webui-forge/models/Lora",
		"stable-diffusion-webui/models/Lora", // a second Forge/A1111: the first one found wins
		"SwarmUI/Models",                     // no Lora folder yet: not offered
		"elsewhere/my-loras",
	)
	chosen := filepath.Join(home, "elsewhere/my-loras")
	gone := filepath.Join(home, "deleted-since")
	got := install.Detect(home, []string{chosen, gone, filepath.Join(home, "Documents/ComfyUI/models/loras")})
	want := []install.Folder{
		{App: "ComfyUI", Path: filepath.Join(home, "Documents/ComfyUI/models/loras")},
		{App: "Forge / A1111", Path: filepath.Join(home, "stable-diffusion-webui-forge/models/Lora")},
		{App: "Chosen folder", Path: chosen},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i].App != want[i].App || got[i].Path != want[i].Path {
			t.Errorf("folder %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestInstall(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(t.TempDir(), "download.safetensors")
	os.WriteFile(src, []byte("the trained lora"), 0o600)
	other := filepath.Join(t.TempDir(), "other.safetensors")
	os.WriteFile(other, []byte("another lora with the same name"), 0o600)
	name := "alice-v3-flux-dev.safetensors"
	steps := []struct {
		name    string
		src     string
		dir     string
		file    string
		replace bool
		code    string
		already bool
		holds   string // the installed file's bytes after the step
	}{
		{"first install", src, dir, name, false, "", false, "the trained lora"},
		{"the same file again", src, dir, name, false, "", true, "the trained lora"},
		{"a different file under the name", other, dir, name, false, studio.EInstallConflict, false, "the trained lora"},
		{"replacing it when asked", other, dir, name, true, "", false, "another lora with the same name"},
		{"a folder that does not exist", src, filepath.Join(dir, "nope"), name, false, studio.EInstallFolderMissing, false, "another lora with the same name"},
		{"a name with a path in it", src, dir, "../x.safetensors", false, studio.EInvalid, false, "another lora with the same name"},
	}
	for _, s := range steps {
		res, err := install.Install(s.src, s.dir, s.file, s.replace)
		if studio.ErrorCode(err) != s.code {
			t.Fatalf("%s: got %v, want code %q", s.name, err, s.code)
		}
		if err == nil && (res.Already != s.already || res.Path != filepath.Join(dir, name)) {
			t.Errorf("%s: got %+v, want already=%v at %s", s.name, res, s.already, filepath.Join(dir, name))
		}
		if b, _ := os.ReadFile(filepath.Join(dir, name)); string(b) != s.holds {
			t.Errorf("%s: the installed file holds %q, want %q", s.name, b, s.holds)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("the folder holds %d entries, want only the LoRA (no temporary files)", len(entries))
	}
}
