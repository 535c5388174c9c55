// Package dataset validates the photos a person gives LoRA Studio to train a
// LoRA of their own face: it identifies each file by its bytes, refuses
// hostile ones before decoding, applies EXIF orientation, strips all metadata,
// finds the face, and reports what to fix, file by file. The desktop app, the
// CLI and the backend all run this same engine.
package dataset

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/promptforge/lorastudio/internal/face"
	"github.com/promptforge/lorastudio/internal/studio"
)

// Issue and finding codes. They are stable: the UI, the backend and tests
// compare them.
const (
	CodeTooFewImages         = "too_few_images"
	CodeFewImages            = "few_images"
	CodeTooManyImages        = "too_many_images"
	CodeResolutionTooLow     = "resolution_too_low"
	CodeResolutionBelowRec   = "resolution_below_recommended"
	CodeUpscaled             = "upscaled" // a warning; the resolution checks use its estimate
	CodeDuplicate            = "duplicate"
	CodeNearDuplicate        = "near_duplicate"
	CodeNoFace               = "no_face"
	CodeMultipleFaces        = "multiple_faces"
	CodeDifferentPerson      = "different_person"
	CodeNoMainPerson         = "no_main_person"
	CodeFaceTooSmall         = "face_too_small"
	CodeBlurry               = "blurry"
	CodeUnsupportedFormat    = studio.EUnsupportedFormat
	CodeCorrupt              = studio.ECorrupt
	CodeTooManyPixels        = studio.ETooManyPixels
	CodeFileTooLarge         = studio.EFileTooLarge
	CodeUnreadable           = studio.EUnreadable
	CodeLowAngleVariety      = "low_angle_variety"
	CodeLowScaleVariety      = "low_scale_variety"
	CodeLowLightingVariety   = "low_lighting_variety"
	SeverityError            = "error"
	SeverityWarning          = "warning"
	defaultMinResolution     = 512
	defaultMaxPixels         = 64_000_000
	minImages                = 15
	recommendedMinImages     = 20 // without a base model; else its data's
	recommendedMaxImages     = 30
	defaultRecommendedShort  = 1024
	faceTooSmallFrac         = 0.12 // face side over the photo's short side
	blurryBelow              = 20.0 // see sharpness()
	minCompareFace           = 40   // working pixels: a smaller face is not compared with the others
	nearDuplicateWhole       = 3    // see nearDuplicate()
	nearDuplicateYaw         = 8
	nearDuplicateFaceShift   = 0.05
	nearDuplicateFaceScale   = 0.05
	lowScaleVarietyRatio     = 1.5
	lowLightingVarietyLevels = 25.0
)

// Options tune a validation. The zero value is usable.
type Options struct {
	// MinResolution is the short side, in pixels, below which a photo is an
	// error. Default 512.
	MinResolution int
	// RecommendedResolution is the short side below which a photo gets a
	// warning. Default: the base model's training resolution, else 1024.
	RecommendedResolution int
	// BaseModel is an optional studio base model id (flux-dev, sdxl...).
	// Its data sets the defaults of RecommendedResolution and
	// RecommendedImages.
	BaseModel string
	// RecommendedImages is the photo count the report recommends.
	// Default: the base model's recommended_images, else 20 to 30. Its
	// minimum is never below the hard minimum of 15.
	RecommendedImages studio.Range
	// MaxPixels is the largest width*height accepted, read from the header
	// before decoding. Default 64,000,000.
	MaxPixels int64
	// Captions are the photos' own captions by file name (Source.Name),
	// which the dataset hash covers; a photo without one has the template.
	Captions map[string]string
	// MaxBytes is the largest file accepted. Default studio.MaxPhotoBytes.
	MaxBytes int64
	// Workers is how many files are analysed at once. Default GOMAXPROCS.
	Workers int
	// Budget bounds the memory of decoding, shared by the validations that
	// hold the same one (a server passes one budget to every request).
	// Default: a budget of DefaultDecodeMemory for this validation alone.
	Budget *DecodeBudget
	// Progress, when set, is called after each file, never concurrently.
	Progress func(Progress)

	faces *face.Engine // the process's face models (face.Default)
}

// Progress reports how far a validation has gone.
type Progress struct {
	Done, Total int
	File        string
}

// Source is one photo to validate: a name for the report and a way to read
// its bytes (a local file, or an object in storage).
type Source struct {
	Name string
	Open func() (io.ReadCloser, error)
	Size int64 // optional; -1 or 0 when unknown
}

// Report is the quality report of a dataset, the JSON of
// `lorastudio validate --json`.
type Report struct {
	OK          bool        `json:"ok"`
	ImageCount  int         `json:"image_count"`
	DatasetHash string      `json:"dataset_hash"`
	Errors      []Finding   `json:"errors"`
	Warnings    []Finding   `json:"warnings"`
	Items       []Item      `json:"items"`
	Variety     Variety     `json:"variety"`
	Identity    SetIdentity `json:"identity"`
}

// SetIdentity is who the photos show: the set's main person, found from the
// faces themselves (not from the first photo), and the photos of anyone else.
type SetIdentity struct {
	// Compared is how many distinct photos with exactly one face were
	// compared; with fewer than two there is nothing to compare.
	Compared int `json:"compared"`
	// Reference is the photo whose face is the most typical of the main
	// person (the medoid of their faces), and ReferenceBox that face; empty
	// when no face could be compared.
	Reference    string `json:"reference"`
	ReferenceBox *Box   `json:"reference_box"`
	// Clear is true when one person is in more than half of the compared
	// photos. When false, no photo is called someone else's: the set has no
	// main person (code no_main_person).
	Clear bool `json:"clear"`
	// Members is how many compared photos show the main person; Others
	// names the photos of someone else (code different_person).
	Members int      `json:"members"`
	Others  []string `json:"others"`
}

// Finding is one dataset-level problem and the files it concerns.
type Finding struct {
	Code    string   `json:"code"`
	Message string   `json:"message"`
	Files   []string `json:"files"`
}

// Item is the analysis of one file.
type Item struct {
	File   string `json:"file"`
	Format string `json:"format,omitempty"`
	// SHA256 is the hash of the stored copy (what Strip writes, uploads and
	// the backend receives): orientation applied, metadata stripped. Two
	// files with the same pixels but different metadata hash the same.
	SHA256      string `json:"sha256"`
	Width       int    `json:"width"` // after EXIF orientation
	Height      int    `json:"height"`
	Orientation int    `json:"orientation,omitempty"` // EXIF orientation applied (1 = none)
	// NativeWidth and NativeHeight are set when the photo looks enlarged:
	// the size its real detail is worth (see findCliff). The
	// resolution checks use them.
	NativeWidth  int  `json:"native_width,omitempty"`
	NativeHeight int  `json:"native_height,omitempty"`
	Faces        int  `json:"faces"`
	FaceBox      *Box `json:"face_box"` // the main face, in oriented pixels
	// FaceScale is the main face's side over the photo's short side.
	FaceScale float64 `json:"face_scale,omitempty"`
	// Blur is the sharpness inside the face: the variance of the Laplacian
	// of the face resampled to 64x64 (so it is relative to the face's size).
	// Higher is sharper; below 20 is reported as blurry.
	Blur float64 `json:"blur"`
	// Brightness is the mean luma (0-255) inside the face box.
	Brightness float64 `json:"brightness,omitempty"`
	PHash      string  `json:"phash"`
	// Yaw is the head's turn in degrees: positive when the person turned to
	// their own left, negative to their right, 0 facing the camera.
	Yaw  float64 `json:"yaw"`
	Pose string  `json:"pose"` // frontal, three_quarter_left/right, profile_left/right, or "" when unknown
	// Pitch is positive with the chin up; Roll is the tilt of the eyes'
	// line, positive clockwise. Degrees, 0 when unknown.
	Pitch float64 `json:"pitch"`
	Roll  float64 `json:"roll"`
	// IdentityDistance is the face's distance to the set's main person
	// (0 the same face, about 1 unrelated people); absent when the photo's
	// face was not compared.
	IdentityDistance *float64 `json:"identity_distance,omitempty"`
	Issues           []Issue  `json:"issues"`
}

// Box is a rectangle in pixels.
type Box struct {
	X int `json:"x"`
	Y int `json:"y"`
	W int `json:"w"`
	H int `json:"h"`
}

// Issue is one problem of one file.
type Issue struct {
	Code     string `json:"code"`
	Severity string `json:"severity"`
	Message  string `json:"message"`
}

// Variety summarises how varied the usable photos are.
type Variety struct {
	Poses       map[string]int `json:"poses"`        // count per pose label
	UnknownPose int            `json:"unknown_pose"` // one face, yaw not measurable
	FaceScale   Spread         `json:"face_scale"`   // face side / short side
	Brightness  Spread         `json:"brightness"`   // mean face luma, 0-255
}

// Spread is the range of a measurement over the photos.
type Spread struct {
	Min    float64 `json:"min"`
	Median float64 `json:"median"`
	Max    float64 `json:"max"`
}

// fileError is a per-file intake failure that becomes an issue.
type fileError struct {
	code, msg string
	err       error
}

func (e *fileError) Error() string { return e.code + ": " + e.msg }
func (e *fileError) Unwrap() error { return e.err }

func (o Options) withDefaults() (Options, error) {
	if o.MinResolution <= 0 {
		o.MinResolution = defaultMinResolution
	}
	if o.BaseModel != "" {
		m, err := studio.LookupBaseModel(o.BaseModel)
		if err != nil {
			return o, err
		}
		if o.RecommendedResolution <= 0 {
			o.RecommendedResolution = m.Resolution
		}
		if o.RecommendedImages.Min <= 0 {
			o.RecommendedImages = m.RecommendedImages
		}
	}
	if o.RecommendedImages.Min <= 0 {
		o.RecommendedImages = studio.Range{Min: recommendedMinImages, Max: recommendedMaxImages}
	}
	o.RecommendedImages.Min = max(o.RecommendedImages.Min, minImages)
	o.RecommendedImages.Max = max(o.RecommendedImages.Max, o.RecommendedImages.Min)
	if o.RecommendedResolution <= 0 {
		o.RecommendedResolution = defaultRecommendedShort
	}
	// The recommendation is never below the minimum.
	if o.RecommendedResolution < o.MinResolution {
		o.RecommendedResolution = o.MinResolution
	}
	if o.MaxPixels <= 0 {
		o.MaxPixels = defaultMaxPixels
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = studio.MaxPhotoBytes
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.Budget == nil {
		o.Budget = NewDecodeBudget(0)
	}
	return o, nil
}

// Validate analyses every source and returns the dataset's quality report.
// Problems with the photos are findings in the report, not errors. Returns
// an error coded "unknown_base_model" for a bad Options.BaseModel, and the
// context's error (wrapped) when ctx ends first.
func Validate(ctx context.Context, srcs []Source, opts Options) (*Report, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if _, err := loadCascades(); err != nil {
		return nil, studio.Wrap(err, studio.EInternal, "the face detector could not be loaded")
	}
	if opts.faces, err = face.Default(); err != nil {
		return nil, studio.Wrap(err, studio.EInternal, "the face models could not be loaded")
	}
	results := make([]analysis, len(srcs))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	next := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	for range min(opts.Workers, max(len(srcs), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var w worker
			defer w.close()
			for i := range next {
				results[i] = w.analyse(ctx, srcs[i], opts)
				if opts.Progress != nil {
					mu.Lock()
					done++
					opts.Progress(Progress{Done: done, Total: len(srcs), File: srcs[i].Name})
					mu.Unlock()
				}
			}
		}()
	}
feed:
	for i := range srcs {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, studio.Wrap(err, studio.ECanceled, "the validation was stopped before it finished")
	}
	return buildReport(results, opts), nil
}

// ValidateDir validates the images directly inside dir (see FileSources)
// and returns the entries it skipped beside the report.
// Returns ENotFound if dir does not exist or is not a folder.
func ValidateDir(ctx context.Context, dir string, opts Options) (*Report, []Skipped, error) {
	srcs, skipped, err := FileSources(dir)
	if err != nil {
		return nil, nil, err
	}
	r, err := Validate(ctx, srcs, opts)
	return r, skipped, err
}

// Skipped is an entry of a folder that FileSources does not validate, and
// what to do about it.
type Skipped struct {
	Name   string
	Reason string
}

// FileSources lists the regular files directly inside dir, sorted by name,
// skipping hidden files and the desktop's own clutter (Thumbs.db,
// desktop.ini). Every other file is a candidate: one that is not an image is
// reported as unsupported_format rather than silently ignored. Every other
// entry (a symbolic link, a folder, a device) is returned in skipped, sorted
// by name, for the caller to tell the user. Links are not followed: one can
// point outside dir (at another person's file, or at a pipe or device whose
// read never ends), and the report would name the link but hash its target;
// copying the photo into the folder is a one-step fix.
// Returns ENotFound if dir does not exist or is not a folder.
func FileSources(dir string) (srcs []Source, skipped []Skipped, err error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) || strings.Contains(err.Error(), "not a directory") {
			return nil, nil, studio.Wrap(err, studio.ENotFound, "no folder "+dir)
		}
		return nil, nil, studio.Wrap(err, studio.EUnavailable, "cannot list "+dir)
	}
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") || strings.EqualFold(name, "Thumbs.db") || strings.EqualFold(name, "desktop.ini") {
			continue
		}
		info, err := e.Info()
		switch {
		case err != nil:
			skipped = append(skipped, Skipped{name, "it could not be read (" + err.Error() + "): check that it still exists"})
			continue
		case info.Mode()&fs.ModeSymlink != 0:
			skipped = append(skipped, Skipped{name, "it is a symbolic link, which is not followed: copy the photo itself into the folder"})
			continue
		case info.IsDir():
			skipped = append(skipped, Skipped{name, "it is a folder; only photos directly inside the folder are validated: move them up"})
			continue
		case !info.Mode().IsRegular():
			skipped = append(skipped, Skipped{name, "it is not a regular file (a device, pipe or socket)"})
			continue
		}
		path := filepath.Join(dir, name)
		srcs = append(srcs, Source{
			Name: name,
			Size: info.Size(),
			Open: func() (io.ReadCloser, error) { return os.Open(path) },
		})
	}
	slices.SortFunc(srcs, func(a, b Source) int { return strings.Compare(a.Name, b.Name) })
	slices.SortFunc(skipped, func(a, b Skipped) int { return strings.Compare(a.Name, b.Name) })
	return srcs, skipped, nil
}
