package main

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/promptforge/lorastudio/internal/charpack"
	"github.com/promptforge/lorastudio/internal/compiler"
	"github.com/promptforge/lorastudio/internal/safetensors"
)

// tinyLoRA writes a genuine safetensors LoRA whose metadata says how its
// captions named the person, as the worker writes it.
func tinyLoRA(t *testing.T, dir, name, trigger string) string {
	t.Helper()
	var buf bytes.Buffer
	meta := map[string]string{"modelspec.sai_model_spec": "1.0.0"}
	if trigger != "" {
		meta["modelspec.trigger_phrase"] = trigger
	}
	if err := safetensors.WriteLoRA(&buf, []string{"lora_unet_a", "lora_unet_b"}, 2, 8, meta); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func loraArgs(platform, lora, out string, extra ...string) []string {
	return append([]string{"pack", "--platform", platform, "--lora", lora, "--identity", "Alice", "--version", "3",
		"--prompt", "portrait on a rainy harbour at dusk", "--out", out}, extra...)
}

func TestPackLoRA(t *testing.T) {
	dir := t.TempDir()
	lora := tinyLoRA(t, dir, "download.safetensors", "ohwx person")
	loraBytes, _ := os.ReadFile(lora)
	sum := sha256.Sum256(loraBytes)
	for _, platform := range []string{"flux-dev", "flux-schnell", "sdxl"} {
		t.Run(platform, func(t *testing.T) {
			out := filepath.Join(dir, platform+".zip")
			code, stdout, stderr := runCLI(t, loraArgs(platform, lora, out)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			want := "alice-v3-" + platform + ".safetensors"
			pack, err := charpack.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			var listed bool
			for _, f := range pack.Manifest.Files {
				if f.Path == "loras/"+want {
					listed = f.SHA256 == hex.EncodeToString(sum[:]) && f.Size == int64(len(loraBytes))
				}
			}
			if !listed {
				t.Errorf("the manifest does not list loras/%s with the file's sha256: %+v", want, pack.Manifest.Files)
			}
			if got := zipEntry(t, out, "loras/"+want); !bytes.Equal(got, loraBytes) {
				t.Errorf("the packed LoRA differs from the file given")
			}

			// The ComfyUI workflow loads exactly the file the pack installs.
			var wf map[string]struct {
				ClassType string         `json:"class_type"`
				Inputs    map[string]any `json:"inputs"`
			}
			if err := json.Unmarshal(pack.File("comfyui/workflow_api.json").Data, &wf); err != nil {
				t.Fatal(err)
			}
			var loaders []any
			for _, n := range wf {
				if n.ClassType == "LoraLoader" {
					loaders = append(loaders, n.Inputs["lora_name"])
				}
			}
			if len(loaders) != 1 || loaders[0] != want {
				t.Errorf("LoraLoader names %v, want exactly [%s]", loaders, want)
			}

			prompt := string(pack.File("prompt.txt").Data)
			prof, _ := compiler.Lookup(platform)
			block := fmt.Sprintf("<lora:alice-v3-%s:%.2f>", platform, prof.LoRA.WeightDefault)
			if !strings.HasSuffix(prompt, block+"\n") || !strings.Contains(prompt, "ohwx person") {
				t.Errorf("prompt.txt %q lacks the <lora:stem:weight> block or the trigger phrase", prompt)
			}
			instr := string(pack.File("instructions.md").Data)
			for _, must := range []string{"`ComfyUI/models/loras/`", "`models/Lora/`", "SwarmUI/Models/Lora/", "InvokeAI", "`ohwx person`", want} {
				if !strings.Contains(instr, must) {
					t.Errorf("instructions.md does not say %q", must)
				}
			}
			if !strings.Contains(stdout, want) {
				t.Errorf("stdout %q does not name the packed LoRA", stdout)
			}
			if code, stdout, stderr := runCLI(t, "verify", out); code != 0 || !strings.Contains(stdout, "ok") {
				t.Errorf("verify on a fresh pack: exit %d %s %s", code, stdout, stderr)
			}
		})
	}

	t.Run("--trigger overrides the metadata", func(t *testing.T) {
		out := filepath.Join(dir, "trigger.zip")
		if code, _, stderr := runCLI(t, loraArgs("flux-dev", lora, out, "--trigger", "zkw woman")...); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		pack, err := charpack.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if p := string(pack.File("prompt.txt").Data); !strings.Contains(p, "zkw woman") || strings.Contains(p, "ohwx") {
			t.Errorf("prompt.txt %q", p)
		}
	})

	// The backend names a file studio.LoRAFileName does: a base model id
	// with a dot is slugged ("wan-2.2" -> "wan-2-2").
	for _, tt := range []struct{ platform, file string }{{"sdxl", "bob-v7-sdxl.safetensors"}, {"wan-2.2", "bob-v7-wan-2-2.safetensors"}} {
		t.Run("a file already named by the backend keeps its name: "+tt.platform, func(t *testing.T) {
			named := tinyLoRA(t, dir, tt.file, "ohwx person")
			out := filepath.Join(dir, "named-"+tt.platform+".zip")
			code, _, stderr := runCLI(t, "pack", "--platform", tt.platform, "--lora", named, "--prompt", "a portrait", "--out", out)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if zipEntry(t, out, "loras/"+tt.file) == nil {
				t.Error("the LoRA was not packed under its own name")
			}
		})
	}
	t.Run("another model's file name is refused", func(t *testing.T) {
		named := tinyLoRA(t, dir, "bob-v7-flux-dev.safetensors", "ohwx person")
		code, _, stderr := runCLI(t, "pack", "--platform", "wan-2.2", "--lora", named, "--prompt", "a portrait", "--out", filepath.Join(dir, "wrong.zip"))
		if code != 2 || !strings.Contains(stderr, "NAME-vN-wan-2-2.safetensors") {
			t.Errorf("got exit %d %q, want a usage error naming the expected shape", code, stderr)
		}
	})
}

func TestPackLoRARefusesBadFiles(t *testing.T) {
	dir := t.TempDir()
	notST := filepath.Join(dir, "photo.safetensors")
	os.WriteFile(notST, []byte("\xff\xd8\xff\xe0 this is a JPEG, not a LoRA"), 0o644)
	// A real safetensors file whose tensors are not a LoRA's.
	var full bytes.Buffer
	hdr := []byte(`{"model.weight":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`)
	binary.Write(&full, binary.LittleEndian, uint64(len(hdr)))
	full.Write(hdr)
	full.Write(make([]byte, 8))
	notLoRA := filepath.Join(dir, "checkpoint.safetensors")
	os.WriteFile(notLoRA, full.Bytes(), 0o644)
	truncated := filepath.Join(dir, "cut.safetensors")
	good, _ := os.ReadFile(tinyLoRA(t, dir, "good.safetensors", ""))
	os.WriteFile(truncated, good[:len(good)-5], 0o644)

	tests := []struct {
		name, lora, stderr string
	}{
		{"not safetensors", notST, "is not a safetensors LoRA"},
		{"not a LoRA", notLoRA, "look like a LoRA"},
		{"truncated", truncated, "is not a safetensors LoRA"},
		{"missing", filepath.Join(dir, "nope.safetensors"), "cannot read the LoRA"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(dir, "x.zip")
			code, _, stderr := runCLI(t, loraArgs("flux-dev", tt.lora, out)...)
			if code != 1 || !strings.Contains(stderr, tt.stderr) || !strings.Contains(stderr, "invalid_lora") {
				t.Errorf("got exit %d %q, want 1 with %q", code, stderr, tt.stderr)
			}
			if _, err := os.Stat(out); err == nil {
				t.Error("a refused LoRA left a pack behind")
			}
		})
	}
	t.Run("--lora on a target platform", func(t *testing.T) {
		code, _, stderr := runCLI(t, loraArgs("veo-3.1", tinyLoRA(t, dir, "a.safetensors", ""), filepath.Join(dir, "y.zip"))...)
		if code != 1 || !strings.Contains(stderr, "cannot load a LoRA") {
			t.Errorf("got exit %d %q", code, stderr)
		}
	})
}

func TestPackOut(t *testing.T) {
	dir := t.TempDir()
	lora := tinyLoRA(t, dir, "l.safetensors", "ohwx person")
	existing := filepath.Join(dir, "existing.zip")
	os.WriteFile(existing, []byte("the user's own file"), 0o644)
	unwritable := t.TempDir()
	os.Chmod(unwritable, 0o555)
	t.Cleanup(func() { os.Chmod(unwritable, 0o755) })
	if os.Getuid() == 0 {
		// Root writes through permissions: sysfs refuses even root.
		unwritable = "/sys"
		if f, err := os.CreateTemp(unwritable, "probe"); err == nil {
			f.Close()
			os.Remove(f.Name())
			t.Skip("no folder here refuses writes")
		}
	}
	tests := []struct {
		name   string
		out    string
		extra  []string
		code   int
		stderr string
	}{
		{"existing --out", existing, nil, 1, "already exists; choose another name, or pass --force"},
		{"not .zip", filepath.Join(dir, "pack.tar"), nil, 2, "must end in .zip"},
		{"missing folder", filepath.Join(dir, "no", "such", "pack.zip"), nil, 1, "folder " + filepath.Join(dir, "no", "such") + " does not exist"},
		{"unwritable folder", filepath.Join(unwritable, "pack.zip"), nil, 1, "folder " + unwritable + " is not writable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, loraArgs("flux-dev", lora, tt.out, tt.extra...)...)
			if code != tt.code || !strings.Contains(stderr, tt.stderr) {
				t.Errorf("got exit %d %q, want %d with %q", code, stderr, tt.code, tt.stderr)
			}
			for _, goErr := range []string{"no such file", "permission denied", "read-only file system", "open ", "stat "} {
				if strings.Contains(stderr, goErr) {
					t.Errorf("stderr %q carries a Go error string %q", stderr, goErr)
				}
			}
		})
	}
	if b, _ := os.ReadFile(existing); string(b) != "the user's own file" {
		t.Fatal("a refused pack overwrote the existing file")
	}
	if code, _, stderr := runCLI(t, loraArgs("flux-dev", lora, existing, "--force")...); code != 0 {
		t.Fatalf("--force: exit %d: %s", code, stderr)
	}
	if _, err := charpack.ReadFile(existing); err != nil {
		t.Errorf("--force did not replace the file with a pack: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".lorastudio-pack-") {
			t.Errorf("left %s behind", e.Name())
		}
	}
}

func TestVerify(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "p.zip")
	if code, _, stderr := runCLI(t, loraArgs("sdxl", tinyLoRA(t, dir, "l.safetensors", "ohwx person"), out)...); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	// tamper rewrites the zip with one entry's bytes replaced (a valid zip:
	// only the manifest can tell), or with an entry added.
	tamper := func(name string, change func(path string, data []byte) []byte, add string) string {
		zr, err := zip.OpenReader(out)
		if err != nil {
			t.Fatal(err)
		}
		defer zr.Close()
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		for _, f := range zr.File {
			rc, _ := f.Open()
			data, _ := io.ReadAll(rc)
			rc.Close()
			w, _ := zw.Create(f.Name)
			w.Write(change(f.Name, data))
		}
		if add != "" {
			w, _ := zw.Create(add)
			w.Write([]byte("extra"))
		}
		zw.Close()
		path := filepath.Join(dir, name)
		os.WriteFile(path, buf.Bytes(), 0o644)
		return path
	}
	same := func(_ string, d []byte) []byte { return d }
	editPrompt := func(p string, d []byte) []byte {
		if p == "prompt.txt" {
			return append(d, "and a stranger"...)
		}
		return d
	}
	flipLoRA := func(p string, d []byte) []byte {
		if strings.HasSuffix(p, ".safetensors") {
			d = bytes.Clone(d)
			d[len(d)-1] ^= 1
		}
		return d
	}
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"intact", []string{"verify", out}, 0, ""},
		{"edited prompt", []string{"verify", tamper("edited.zip", editPrompt, "")}, 1, "prompt.txt is"},
		{"flipped LoRA byte", []string{"verify", tamper("flipped.zip", flipLoRA, "")}, 1, "loras/alice-v3-sdxl.safetensors does not match its sha256"},
		{"added file", []string{"verify", tamper("added.zip", same, "evil.sh")}, 1, "evil.sh is in the pack but not in the manifest"},
		{"not a zip", []string{"verify", filepath.Join(dir, "l.safetensors")}, 1, "not a zip"},
		{"missing", []string{"verify", filepath.Join(dir, "none.zip")}, 1, "cannot read the pack"},
		{"no argument", []string{"verify"}, 2, "name one pack"},
		{"two arguments", []string{"verify", out, out}, 2, "name one pack"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, tt.args...)
			if code != tt.code || !strings.Contains(stderr, tt.stderr) {
				t.Errorf("got exit %d %q, want %d with %q", code, stderr, tt.code, tt.stderr)
			}
		})
	}
}

func zipEntry(t *testing.T, zipPath, name string) []byte {
	t.Helper()
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		if f.Name == name {
			rc, _ := f.Open()
			defer rc.Close()
			b, _ := io.ReadAll(rc)
			return b
		}
	}
	return nil
}

// TestCompileNamesTheBackendFile: compile's block and workflow load the
// same file a pack installs.
func TestCompileNamesTheBackendFile(t *testing.T) {
	code, stdout, stderr := runCLI(t, "compile", "--platform", "flux-dev", "--identity", "Alice:0.9", "--version", "3", "--trigger", "ohwx person", "--prompt", "a portrait", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var res compiler.Result
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatal(err)
	}
	if res.LoRABlock != "<lora:alice-v3-flux-dev:0.90>" || !strings.Contains(string(res.Workflow), `"lora_name": "alice-v3-flux-dev.safetensors"`) {
		t.Errorf("block %q, workflow %s", res.LoRABlock, res.Workflow)
	}
}

func TestPlural(t *testing.T) {
	for n, want := range map[int]string{0: "0 reference images", 1: "1 reference image", 3: "3 reference images"} {
		if got := plural(n, "reference image"); got != want {
			t.Errorf("plural(%d) = %q, want %q", n, got, want)
		}
	}
}
