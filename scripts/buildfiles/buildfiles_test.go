// Package buildfiles checks the packaging files under build/ the way Wails
// and the packagers will read them, so a mistake shows in go test and not
// only on the Mac or Windows machine that builds the release.
package buildfiles

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"text/template"
)

const root = "../.."

// project is what wails.json says, in the shape Wails 2.9.2 renders its
// build templates with (pkg/buildassets.assetData: Name and Info only).
type project struct {
	Name           string `json:"name"`
	OutputFilename string `json:"outputfilename"`
	Info           struct {
		CompanyName      string  `json:"companyName"`
		ProductName      string  `json:"productName"`
		ProductVersion   string  `json:"productVersion"`
		Copyright        *string `json:"copyright"`
		Comments         *string `json:"comments"`
		FileAssociations []struct{ Ext, Name, Role, IconName string }
		Protocols        []struct{ Scheme, Role string }
	} `json:"info"`
}

func loadProject(t *testing.T) project {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "wails.json"))
	if err != nil {
		t.Fatal(err)
	}
	var p project
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatalf("wails.json: %v", err)
	}
	if p.Info.ProductVersion == "" || p.Info.CompanyName == "" || p.Info.ProductName == "" {
		t.Fatalf("wails.json: info needs companyName, productName and productVersion, got %+v", p.Info)
	}
	return p
}

// render executes a build file as Wails does: a missing field is an error.
func render(t *testing.T, p project, file string) []byte {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(root, file))
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := template.New(file).Option("missingkey=error").Parse(string(src))
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	data := struct {
		Name string
		Info any
	}{p.Name, p.Info}
	var out bytes.Buffer
	if err := tmpl.Execute(&out, data); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return out.Bytes()
}

// plistStrings reads the top-level key/string pairs of a property list.
func plistStrings(t *testing.T, data []byte) map[string]string {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = false // the DOCTYPE
	out := map[string]string{}
	var key, elem string
	depth := 0
	for {
		tok, err := d.Token()
		if err != nil {
			break
		}
		switch v := tok.(type) {
		case xml.StartElement:
			depth++
			elem = v.Name.Local
		case xml.EndElement:
			depth--
			elem = ""
		case xml.CharData:
			s := strings.TrimSpace(string(v))
			if depth == 3 && elem == "key" {
				key = s
			} else if depth == 3 && elem == "string" && key != "" {
				out[key] = s
				key = ""
			}
		}
	}
	if len(out) == 0 {
		t.Fatal("the property list has no key/string pairs")
	}
	return out
}

func TestDarwinPlists(t *testing.T) {
	p := loadProject(t)
	for _, file := range []string{"build/darwin/Info.plist", "build/darwin/Info.dev.plist"} {
		t.Run(file, func(t *testing.T) {
			kv := plistStrings(t, render(t, p, file))
			want := map[string]string{
				// Wails moves the binary to Contents/MacOS/<outputfilename>.
				"CFBundleExecutable":         p.OutputFilename,
				"CFBundleIdentifier":         "com.promptforge.lorastudio",
				"CFBundleShortVersionString": p.Info.ProductVersion,
				"CFBundleVersion":            p.Info.ProductVersion,
				"CFBundleName":               p.Info.ProductName,
			}
			for k, v := range want {
				if kv[k] != v {
					t.Errorf("%s: got %q, want %q", k, kv[k], v)
				}
			}
			for _, k := range []string{"NSDocumentsFolderUsageDescription", "NSDesktopFolderUsageDescription", "NSDownloadsFolderUsageDescription"} {
				if kv[k] == "" {
					t.Errorf("%s is missing: macOS would ask with no reason given", k)
				}
			}
		})
	}
}

func TestWindowsFiles(t *testing.T) {
	p := loadProject(t)
	var info struct {
		Fixed struct {
			FileVersion string `json:"file_version"`
		} `json:"fixed"`
		Info map[string]map[string]string `json:"info"`
	}
	if err := json.Unmarshal(render(t, p, "build/windows/info.json"), &info); err != nil {
		t.Fatalf("info.json after rendering: %v", err)
	}
	if info.Fixed.FileVersion != p.Info.ProductVersion || info.Info["0000"]["ProductName"] != p.Info.ProductName {
		t.Errorf("info.json: got version %q, product %q; want %q, %q", info.Fixed.FileVersion, info.Info["0000"]["ProductName"], p.Info.ProductVersion, p.Info.ProductName)
	}

	var manifest struct {
		Identity struct {
			Name    string `xml:"name,attr"`
			Version string `xml:"version,attr"`
		} `xml:"assemblyIdentity"`
	}
	if err := xml.Unmarshal(render(t, p, "build/windows/wails.exe.manifest"), &manifest); err != nil {
		t.Fatalf("wails.exe.manifest: %v", err)
	}
	// Windows refuses to start an exe whose manifest identity is malformed:
	// no spaces in the name, four numeric parts in the version.
	if manifest.Identity.Name != "com.promptforge.lorastudio" || manifest.Identity.Version != p.Info.ProductVersion+".0" {
		t.Errorf("manifest identity: got %+v", manifest.Identity)
	}

	nsi, err := os.ReadFile(filepath.Join(root, "build/windows/installer/project.nsi"))
	if err != nil {
		t.Fatal(err)
	}
	if want := `!define PRODUCT_EXECUTABLE  "` + p.OutputFilename + `.exe"`; !bytes.Contains(nsi, []byte(want)) {
		t.Errorf("project.nsi does not install the binary Wails builds: want %s", want)
	}
}

func TestLinuxEntryAndIcons(t *testing.T) {
	p := loadProject(t)
	entry, err := os.ReadFile(filepath.Join(root, "build/linux/lorastudio.desktop"))
	if err != nil {
		t.Fatal(err)
	}
	fields := map[string]string{}
	for _, line := range strings.Split(string(entry), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			fields[k] = v
		}
	}
	nfpm, err := os.ReadFile(filepath.Join(root, "build/linux/nfpm.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if fields["Exec"] != p.OutputFilename || !bytes.Contains(nfpm, []byte("dst: /usr/bin/"+fields["Exec"])) {
		t.Errorf("Exec=%s: the .deb must install it as /usr/bin/%s", fields["Exec"], p.OutputFilename)
	}
	if fields["Name"] != p.Info.ProductName {
		t.Errorf("Name=%s, want %s", fields["Name"], p.Info.ProductName)
	}
	for _, s := range []int{16, 24, 32, 48, 64, 128, 256, 512} {
		dir := filepath.Join(root, "build/linux/icons/hicolor", strconv.Itoa(s)+"x"+strconv.Itoa(s), "apps")
		checkPNG(t, filepath.Join(dir, fields["Icon"]+".png"), s)
	}
	checkPNG(t, filepath.Join(root, "build/appicon.png"), 1024)
}

func checkPNG(t *testing.T, path string, size int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Error(err)
		return
	}
	defer f.Close()
	cfg, err := png.DecodeConfig(f)
	if err != nil {
		t.Errorf("%s: %v", path, err)
		return
	}
	if cfg.Width != size || cfg.Height != size {
		t.Errorf("%s: got %dx%d, want %dx%d", path, cfg.Width, cfg.Height, size, size)
	}
}
