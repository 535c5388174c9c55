package charpack_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/promptforge/lorastudio/internal/charpack"
	"github.com/promptforge/lorastudio/internal/compiler"
)

const fakeVideo = "FAKE-MP4-BYTES\x00\x01"

// unpack writes a pack's files to a folder, as a user's unzip would, and
// returns the pack.
func unpack(t *testing.T, platform string) (*charpack.Pack, string) {
	t.Helper()
	data := write(t, input(dataset(t, 4, 400, 500), platform))
	pack, err := charpack.Read(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, f := range pack.Files {
		path := filepath.Join(dir, filepath.FromSlash(f.Path))
		os.MkdirAll(filepath.Dir(path), 0o755)
		mode := os.FileMode(0o644)
		if strings.HasSuffix(f.Path, ".sh") {
			mode = 0o755
		}
		if err := os.WriteFile(path, f.Data, mode); err != nil {
			t.Fatal(err)
		}
	}
	return pack, dir
}

func needTools(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "jq", "base64"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed", tool)
		}
	}
}

// TestScriptsParse: every generated script is valid bash, and only the
// platforms whose API is live get one.
func TestScriptsParse(t *testing.T) {
	needTools(t)
	for _, p := range compiler.Profiles() {
		if p.SupportsLoRAInjection {
			continue
		}
		t.Run(p.ID, func(t *testing.T) {
			pack, dir := unpack(t, p.ID)
			sh := pack.File("generate.sh")
			if (sh != nil) != (p.Status != compiler.StatusShutDown) {
				t.Fatalf("status %s, generate.sh present: %v", p.Status, sh != nil)
			}
			instr := string(pack.File("instructions.md").Data)
			if sh == nil {
				if !strings.Contains(instr, "No `generate.sh`: the "+p.API.Name+" is shut down") {
					t.Errorf("instructions.md does not say why there is no script")
				}
				return
			}
			if out, err := exec.Command("bash", "-n", filepath.Join(dir, "generate.sh")).CombinedOutput(); err != nil {
				t.Errorf("bash -n: %v\n%s", err, out)
			}
			for _, must := range []string{"## In the app", "## By API", "./generate.sh", "Not confirmed:"} {
				if !strings.Contains(instr, must) {
					t.Errorf("instructions.md does not say %q", must)
				}
			}
		})
	}
}

// runScript runs the pack's generate.sh from another folder, as a user
// might, and returns its output and the video it saved there.
func runScript(t *testing.T, dir string, env ...string) (string, string, error) {
	t.Helper()
	cmd := exec.Command("bash", filepath.Join(dir, "generate.sh"), "out.mp4")
	cmd.Dir = t.TempDir() // the script must find its files from anywhere
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "POLL_SECONDS=0"}, env...)
	out, err := cmd.CombinedOutput()
	video, _ := os.ReadFile(filepath.Join(cmd.Dir, "out.mp4"))
	return string(out), string(video), err
}

// checkRefs holds the submitted images to the pack's references, in order.
func checkRefs(t *testing.T, pack *charpack.Pack, got []string) {
	t.Helper()
	if len(got) != len(pack.Manifest.References) {
		t.Errorf("sent %d images, the pack has %d", len(got), len(pack.Manifest.References))
		return
	}
	for i, ref := range pack.Manifest.References {
		raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(got[i], "data:image/jpeg;base64,"))
		if err != nil || !bytes.Equal(raw, pack.File(ref.Path).Data) {
			t.Errorf("image %d is not the base64 of %s", i+1, ref.Path)
		}
	}
}

func TestXAIScriptAgainstFakeServer(t *testing.T) {
	needTools(t)
	pack, dir := unpack(t, "grok-3")
	prompt := strings.TrimSuffix(string(pack.File("prompt.txt").Data), "\n")
	var polls atomic.Int32
	mux := http.NewServeMux()
	var srvURL string
	mux.HandleFunc("POST /videos/generations", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer test-key" {
			http.Error(w, `{"error":"bad key"}`, http.StatusUnauthorized)
			return
		}
		var body struct {
			Model, Prompt, AspectRatio string
			Duration                   int
			Resolution                 string
			Refs                       []struct{ URL string } `json:"reference_images"`
		}
		json.NewDecoder(r.Body).Decode(&body)
		if body.Model != "grok-imagine-video" || body.Prompt != prompt || body.Duration != 8 || body.Resolution != "720p" {
			t.Errorf("submitted %+v", body)
		}
		var urls []string
		for _, r := range body.Refs {
			urls = append(urls, r.URL)
		}
		checkRefs(t, pack, urls)
		w.Write([]byte(`{"request_id":"req-42"}`))
	})
	mux.HandleFunc("GET /videos/req-42", func(w http.ResponseWriter, r *http.Request) {
		if polls.Add(1) < 3 {
			w.Write([]byte(`{"status":"pending"}`))
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"status": "done", "video": map[string]any{"url": srvURL + "/files/v.mp4", "duration": 8}})
	})
	mux.HandleFunc("GET /files/v.mp4", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(fakeVideo)) })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	srvURL = srv.URL

	out, got, err := runScript(t, dir, "XAI_API_KEY=test-key", "XAI_BASE_URL="+srv.URL)
	if err != nil {
		t.Fatalf("generate.sh: %v\n%s", err, out)
	}
	if got != fakeVideo || polls.Load() != 3 {
		t.Errorf("saved %q after %d polls", got, polls.Load())
	}

	t.Run("refused", func(t *testing.T) {
		out, _, err := runScript(t, dir, "XAI_API_KEY=wrong", "XAI_BASE_URL="+srv.URL)
		if err == nil || !strings.Contains(out, "HTTP 401") {
			t.Errorf("a refused key: %v\n%s", err, out)
		}
	})
	t.Run("no key", func(t *testing.T) {
		out, _, err := runScript(t, dir, "XAI_BASE_URL="+srv.URL)
		if err == nil || !strings.Contains(out, "set XAI_API_KEY") {
			t.Errorf("no key: %v\n%s", err, out)
		}
	})
}

func TestVertexScriptAgainstFakeServer(t *testing.T) {
	needTools(t)
	pack, dir := unpack(t, "veo-3.1")
	prompt := strings.TrimSuffix(string(pack.File("prompt.txt").Data), "\n")
	model := "/projects/proj-1/locations/europe-west4/publishers/google/models/veo-3.1-generate-001"
	var polls atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+model+":predictLongRunning", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok" {
			http.Error(w, `{"error":{"code":401}}`, http.StatusUnauthorized)
			return
		}
		var body struct {
			Instances []struct {
				Prompt string
				Refs   []struct {
					Image struct {
						Bytes string `json:"bytesBase64Encoded"`
						Mime  string `json:"mimeType"`
					}
					ReferenceType string
				} `json:"referenceImages"`
			}
			Parameters map[string]any
		}
		json.NewDecoder(r.Body).Decode(&body)
		if len(body.Instances) != 1 || body.Instances[0].Prompt != prompt || body.Parameters["durationSeconds"] != 8.0 || body.Parameters["negativePrompt"] != "blurry, watermark" {
			t.Errorf("submitted %+v", body)
			return
		}
		var imgs []string
		for _, r := range body.Instances[0].Refs {
			if r.ReferenceType != "asset" || r.Image.Mime != "image/jpeg" {
				t.Errorf("reference %+v", r)
			}
			imgs = append(imgs, r.Image.Bytes)
		}
		checkRefs(t, pack, imgs)
		w.Write([]byte(`{"name":"projects/proj-1/locations/europe-west4/publishers/google/models/veo-3.1-generate-001/operations/op-9"}`))
	})
	mux.HandleFunc("POST "+model+":fetchPredictOperation", func(w http.ResponseWriter, r *http.Request) {
		var body struct{ OperationName string }
		json.NewDecoder(r.Body).Decode(&body)
		if !strings.HasSuffix(body.OperationName, "/operations/op-9") {
			t.Errorf("polled %q", body.OperationName)
		}
		if polls.Add(1) < 2 {
			w.Write([]byte(`{"name":"op-9"}`))
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"name": "op-9", "done": true, "response": map[string]any{
			"videos": []any{map[string]any{"bytesBase64Encoded": base64.StdEncoding.EncodeToString([]byte(fakeVideo)), "mimeType": "video/mp4"}}}})
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	env := []string{"VERTEX_ACCESS_TOKEN=tok", "GOOGLE_CLOUD_PROJECT=proj-1", "GOOGLE_CLOUD_LOCATION=europe-west4", "VERTEX_BASE_URL=" + srv.URL}
	out, got, err := runScript(t, dir, env...)
	if err != nil {
		t.Fatalf("generate.sh: %v\n%s", err, out)
	}
	if got != fakeVideo || polls.Load() != 2 {
		t.Errorf("saved %q after %d polls", got, polls.Load())
	}
	t.Run("refused", func(t *testing.T) {
		out, _, err := runScript(t, dir, append(env[1:], "VERTEX_ACCESS_TOKEN=bad")...)
		if err == nil || !strings.Contains(out, "HTTP 401") {
			t.Errorf("a refused token: %v\n%s", err, out)
		}
	})
}
