// Package charpack writes and reads Character Packs: the zip through which a
// trained identity reaches a platform that cannot load a LoRA. A pack holds
// the compiled prompt, the parameters, step-by-step instructions, an example
// API request where the platform has an API, and metadata-free reference
// images, all listed with their sha256 in manifest.json. The same inputs
// always give the same bytes.
package charpack

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"

	"github.com/promptforge/lorastudio/internal/compiler"
	"github.com/promptforge/lorastudio/internal/studio"
)

// SchemaVersion is the manifest's format version; a reader refuses others.
const SchemaVersion = 1

// ManifestName is the manifest's path inside the zip.
const ManifestName = "manifest.json"

// Manifest describes a pack and lists every other file with its digest.
type Manifest struct {
	SchemaVersion int                 `json:"schema_version"`
	Generator     string              `json:"generator"`
	Platform      string              `json:"platform"`
	PlatformName  string              `json:"platform_name"`
	ModelID       string              `json:"model_id"`
	Status        string              `json:"status"`
	StatusNote    string              `json:"status_note"`
	Checked       string              `json:"checked"`
	Identity      ManifestIdentity    `json:"identity"`
	DatasetHash   string              `json:"dataset_hash"`
	References    []ManifestReference `json:"references"`
	// MissingViews are the angles (frontal, three-quarter, profile) the
	// platform could take but no usable photo shows.
	MissingViews []string       `json:"missing_views,omitempty"`
	LoRA         *ManifestLoRA  `json:"lora,omitempty"` // LoRA-pipeline packs only
	Files        []ManifestFile `json:"files"`
}

// ManifestIdentity names the trained identity the pack stands for.
type ManifestIdentity struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// ManifestReference is one reference image: its place in the pack, the
// role it was chosen for, and the sha256 of the dataset photo it came from.
type ManifestReference struct {
	Path         string `json:"path"`
	Role         string `json:"role"`
	Tag          string `json:"tag,omitempty"` // <IMAGE_n> where the platform names images
	SourceSHA256 string `json:"source_sha256"`
	Width        int    `json:"width"`
	Height       int    `json:"height"`
}

// ManifestFile is one file of the pack other than the manifest.
type ManifestFile struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// File is one file of a pack: in memory, or for a LoRA, read from Source
// on disk as the zip is written. A LoRA read back from a zip is verified
// but not kept in memory: its Data is nil.
type File struct {
	Path   string
	Data   []byte
	Source string

	sum  string // of Source, taken when it was checked
	size int64
}

// Pack is an assembled or a verified pack: its manifest and its other
// files, sorted by path.
type Pack struct {
	Manifest Manifest
	Files    []File
}

// File returns the file at path, or nil.
func (p *Pack) File(path string) *File {
	for i := range p.Files {
		if p.Files[i].Path == path {
			return &p.Files[i]
		}
	}
	return nil
}

// Input is what a pack is built from: the compile request (its
// Options.References is set from the references actually chosen), the
// validated photos to choose references from, and the dataset's hash.
type Input struct {
	Request     compiler.Request
	Candidates  []compiler.Candidate
	DatasetHash string
	// LoRA is the trained file, for a pack for a LoRA pipeline (one per
	// trainable base model); such a pack has no reference images.
	LoRA *LoRA
	// Encode, when set, writes the photo at path as a metadata-free JPEG,
	// oriented and fitted within maxSide x maxSide; it must give the same
	// bytes for the same photo. The CLI passes the dataset engine's
	// Thumbnail, which decodes at a reduced DCT scale. It is called for
	// several photos at once. Nil uses this package's pure-Go encoder.
	Encode func(ctx context.Context, path string, maxSide int, w io.Writer) error
}

// Build assembles a pack in memory: it chooses the references, compiles the
// prompt for that many, re-encodes the images and writes the texts.
// Returns the compiler's errors, "lora_pipeline" for a profile that loads
// the LoRA itself, "no_references" when no photo qualifies, and
// "invalid_reference" when a chosen photo cannot be decoded.
func Build(ctx context.Context, in Input) (*Pack, compiler.Result, error) {
	p, err := compiler.Lookup(in.Request.Platform)
	if err != nil {
		return nil, compiler.Result{}, err
	}
	if p.SupportsLoRAInjection {
		if in.LoRA == nil {
			return nil, compiler.Result{}, studio.Errorf(studio.ELoRAPipeline, "%s loads the LoRA itself: give its trained .safetensors file to pack it with its ComfyUI workflow", p.Name)
		}
		return buildLoRA(ctx, p, in)
	}
	if in.LoRA != nil {
		return nil, compiler.Result{}, studio.Errorf(studio.ELoRAPipeline, "%s cannot load a LoRA: its pack carries reference photos, not the LoRA file", p.Name)
	}
	sel := compiler.SelectReferences(in.Candidates, p.References.Max)
	if len(sel) == 0 {
		return nil, compiler.Result{}, studio.Errorf(studio.ENoReferences, "none of the %d photos can be a reference: each has an error or does not show exactly one face", len(in.Candidates))
	}
	req := in.Request
	req.Options.References = len(sel)
	res, err := compiler.Compile(req)
	if err != nil {
		return nil, compiler.Result{}, err
	}
	imgs, err := encodeReferences(ctx, sel, p.References.MaxSide, res.Params.AspectRatio, in.Encode)
	if err != nil {
		return nil, compiler.Result{}, err
	}

	m := Manifest{
		SchemaVersion: SchemaVersion, Generator: "lorastudio",
		Platform: p.ID, PlatformName: p.Name, ModelID: p.ModelID,
		Status: p.Status, StatusNote: p.StatusNote, Checked: p.Checked,
		Identity:     ManifestIdentity{Name: req.Identity.Name, Version: req.Identity.Version},
		DatasetHash:  in.DatasetHash,
		MissingViews: compiler.MissingViews(sel, p.References.Max),
	}
	var files []File
	refPaths := make([]string, len(sel))
	for i, s := range sel {
		refPaths[i] = fmt.Sprintf("references/%02d-%s.jpg", i+1, s.Role)
		files = append(files, File{Path: refPaths[i], Data: imgs[i].data})
		ref := ManifestReference{Path: refPaths[i], Role: s.Role, SourceSHA256: s.SHA256, Width: imgs[i].w, Height: imgs[i].h}
		if i < len(res.References.Tags) {
			ref.Tag = res.References.Tags[i]
		}
		m.References = append(m.References, ref)
	}
	params, err := json.MarshalIndent(res.Params, "", "  ")
	if err != nil {
		return nil, res, err
	}
	files = append(files,
		File{Path: "prompt.txt", Data: []byte(res.Prompt + "\n")},
		File{Path: "params.json", Data: append(params, '\n')},
	)
	hasRequest := p.API != nil && p.Status != compiler.StatusShutDown
	if hasRequest {
		body, err := compiler.ExampleRequest(p, res, refPaths)
		if err != nil {
			return nil, res, err
		}
		files = append(files, File{Path: "request.json", Data: body})
	}
	sh := script(p, res, refPaths)
	if sh != "" {
		files = append(files, File{Path: ScriptName, Data: []byte(sh)})
	}
	files = append(files, File{Path: "instructions.md", Data: []byte(instructions(p, res, m, hasRequest, sh != ""))})

	pack, err := newPack(m, files)
	return pack, res, err
}

// newPack sorts the files and lists each in the manifest with its digest.
func newPack(m Manifest, files []File) (*Pack, error) {
	sortFiles(files)
	m.Files = m.Files[:0]
	for i, f := range files {
		if err := checkPath(f.Path); err != nil || f.Path == ManifestName {
			return nil, fmt.Errorf("charpack: bad file path %q", f.Path)
		}
		if i > 0 && files[i-1].Path == f.Path {
			return nil, fmt.Errorf("charpack: duplicate file %q", f.Path)
		}
		mf := ManifestFile{Path: f.Path, SHA256: digest(f.Data), Size: int64(len(f.Data))}
		if f.Source != "" {
			mf.SHA256, mf.Size = f.sum, f.size
		}
		m.Files = append(m.Files, mf)
	}
	return &Pack{Manifest: m, Files: files}, nil
}

// Write builds the pack and writes it to w as a zip; see Build.
func Write(ctx context.Context, w io.Writer, in Input) (*Pack, compiler.Result, error) {
	pack, res, err := Build(ctx, in)
	if err != nil {
		return nil, res, err
	}
	if err := pack.WriteZip(w); err != nil {
		return nil, res, err
	}
	return pack, res, nil
}

func digest(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
