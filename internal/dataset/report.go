package dataset

import (
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strings"

	"github.com/promptforge/lorastudio/internal/studio"
)

// codeOrder is the order findings appear in, most actionable first.
var codeOrder = []string{
	CodeUnsupportedFormat, CodeCorrupt, CodeTooManyPixels, CodeFileTooLarge, CodeUnreadable,
	CodeTooFewImages, CodeDuplicate, CodeNoFace, CodeMultipleFaces, CodeNoMainPerson, CodeDifferentPerson, CodeResolutionTooLow,
	CodeFewImages, CodeTooManyImages, CodeNearDuplicate, CodeUpscaled, CodeResolutionBelowRec,
	CodeFaceTooSmall, CodeBlurry, CodeLowAngleVariety, CodeLowScaleVariety, CodeLowLightingVariety,
}

// summary is the dataset-level message of a per-file code, for n files.
func summary(code string, n int, opts Options) string {
	photos := fmt.Sprintf("%d photos", n)
	// verb picks the singular or plural form for n.
	verb := func(one, many string) string {
		if n == 1 {
			return one
		}
		return many
	}
	if n == 1 {
		photos = "1 photo"
	}
	switch code {
	case CodeUnsupportedFormat:
		return photos + " " + verb("is", "are") + " not JPEG, PNG or WebP images: convert them or remove them"
	case CodeCorrupt:
		return photos + " " + verb("is", "are") + " damaged or incomplete: export them again or remove them"
	case CodeTooManyPixels:
		return photos + " " + verb("is", "are") + " too large to open safely: resize them or remove them"
	case CodeFileTooLarge:
		return photos + " " + verb("is", "are") + " too large a file: export them at a smaller size"
	case CodeUnreadable:
		return photos + " could not be read: check the files"
	case CodeNoFace:
		return photos + " " + verb("shows", "show") + " no face that could be found: use photos where your face is clearly visible, at least a tenth of the frame, not covered, and not turned fully sideways"
	case CodeMultipleFaces:
		return photos + " " + verb("shows", "show") + " more than one face: crop them to you alone or replace them; the LoRA would learn the other faces too"
	case CodeDifferentPerson:
		return photos + " " + verb("shows", "show") + " someone other than the person in most of the set: remove them; a LoRA of your face must learn only your face"
	case CodeResolutionTooLow:
		return fmt.Sprintf("%s %s a short side under %d pixels (or, enlarged, no more detail than that): replace them with the original, larger photos", photos, verb("has", "have"), opts.MinResolution)
	case CodeResolutionBelowRec:
		return fmt.Sprintf("%s %s a short side under the recommended %d pixels (or, enlarged, no more detail than that): larger originals will train sharper", photos, verb("has", "have"), opts.RecommendedResolution)
	case CodeUpscaled:
		return photos + " " + verb("looks", "look") + " enlarged from a smaller image or heavily smoothed: " + verb("it has", "they have") + " no more detail than a small photo; use the originals, straight from the camera or phone, without filters"
	case CodeFaceTooSmall:
		return photos + " " + verb("shows", "show") + " your face small in the frame: crop them closer or replace them with closer shots"
	case CodeBlurry:
		return photos + " " + verb("has", "have") + " a blurry face: replace them with sharp photos (steady camera, focus on the eyes)"
	}
	return photos
}

// itemMessage is the per-file message of a per-file code.
func itemMessage(code string, a *analysis, opts Options) string {
	switch code {
	case CodeNoFace:
		return "no face found: use a photo where your face is clearly visible, at least a tenth of the frame, not covered, and not turned fully sideways"
	case CodeMultipleFaces:
		return fmt.Sprintf("%d faces found: crop the photo to you alone or replace it", a.item.Faces)
	case CodeResolutionTooLow:
		if a.nativeW > 0 {
			return fmt.Sprintf("its detail is worth a short side of about %d pixels (see upscaled), under the minimum of %d: use the original, larger photo", a.nativeShort(), opts.MinResolution)
		}
		return fmt.Sprintf("the short side is %d pixels, under the minimum of %d: use the original, larger photo", a.short, opts.MinResolution)
	case CodeResolutionBelowRec:
		if a.nativeW > 0 {
			return fmt.Sprintf("its detail is worth a short side of about %d pixels (see upscaled), under the recommended %d: a larger original will train sharper", a.nativeShort(), opts.RecommendedResolution)
		}
		return fmt.Sprintf("the short side is %d pixels, under the recommended %d: a larger original will train sharper", a.short, opts.RecommendedResolution)
	case CodeUpscaled:
		return fmt.Sprintf("%s looks enlarged from about %dx%d (or smoothed to that): it has no more detail than that. Use the original photo, not a resized, filtered or enhanced copy",
			a.item.File, a.nativeW, a.nativeH)
	case CodeFaceTooSmall:
		return fmt.Sprintf("your face is %d pixels wide, %.0f%% of the short side: crop closer or use a closer shot", a.item.FaceBox.W, 100*a.item.FaceScale)
	case CodeBlurry:
		return fmt.Sprintf("the face is blurry (sharpness %.1f, under %.0f): replace it with a sharp photo", a.item.Blur, blurryBelow)
	}
	return ""
}

func severityOf(code string) string {
	switch code {
	case CodeFewImages, CodeTooManyImages, CodeNearDuplicate, CodeUpscaled, CodeResolutionBelowRec, CodeFaceTooSmall,
		CodeBlurry, CodeLowAngleVariety, CodeLowScaleVariety, CodeLowLightingVariety:
		return SeverityWarning
	}
	return SeverityError
}

// nativeShort is the short side an enlarged photo's detail is worth.
func (a *analysis) nativeShort() int { return min(a.nativeW, a.nativeH) }

// effectiveShort is the short side the resolution checks judge: the
// photo's own, or, when it looks enlarged, the one its detail is worth
// given the benefit of the estimate's doubt (upscaleMargin).
func (a *analysis) effectiveShort() int {
	if a.nativeW > 0 {
		return min(a.short, int(math.Round(float64(a.nativeShort())*upscaleMargin)))
	}
	return a.short
}

func (a *analysis) add(code, msg string) {
	a.item.Issues = append(a.item.Issues, Issue{Code: code, Severity: severityOf(code), Message: msg})
}

// nearDuplicate decides whether two photos are near duplicates (burst shots,
// consecutive video frames), which add weight to a LoRA but nothing new.
//
// Calibrated on ../shared/fixtures/person_clmauthor_video (goimagehash pHash
// of the whole image, area-averaged to 64x64 first): consecutive frames
// (cap12_02..05, cap13_01..03) sit at Hamming distance 0 to 2, unrelated
// photos at 20 to 40, but a head turned by ~20 degrees against the same
// background also sits at 4 to 6, and the fixtures' notes put different angles
// as low as 0. So the hash alone cannot be the rule: a pair is a near
// duplicate when the whole images are within distance 3 AND, when both show
// one face, the head is turned the same way (yaw within 8 degrees; our yaw
// jitters by about 3 between frames) and the face has neither moved nor
// changed size by more than 5% of the short side. Photos without a single
// face are compared by the hash alone.
func nearDuplicate(a, b *analysis) bool {
	if bits.OnesCount64(a.phash^b.phash) > nearDuplicateWhole {
		return false
	}
	if !a.oneFace || !b.oneFace {
		return !a.oneFace && !b.oneFace
	}
	if a.item.Pose != "" && b.item.Pose != "" && math.Abs(a.item.Yaw-b.item.Yaw) >= nearDuplicateYaw {
		return false
	}
	return math.Abs(a.faceX-b.faceX) <= nearDuplicateFaceShift &&
		math.Abs(a.faceY-b.faceY) <= nearDuplicateFaceShift &&
		math.Abs(a.item.FaceScale-b.item.FaceScale) <= nearDuplicateFaceScale
}

// unionFind groups indices.
type unionFind []int

func newUnionFind(n int) unionFind {
	u := make(unionFind, n)
	for i := range u {
		u[i] = i
	}
	return u
}

func (u unionFind) find(i int) int {
	for u[i] != i {
		u[i] = u[u[i]]
		i = u[i]
	}
	return i
}

func (u unionFind) union(i, j int) {
	ri, rj := u.find(i), u.find(j)
	if ri < rj {
		u[rj] = ri
	} else if rj < ri {
		u[ri] = rj
	}
}

// groups returns the groups of more than one member among idx, each sorted,
// the first member being the one to keep.
func (u unionFind) groups(idx []int) [][]int {
	m := map[int][]int{}
	for _, i := range idx {
		r := u.find(i)
		m[r] = append(m[r], i)
	}
	var out [][]int
	for _, g := range m {
		if len(g) > 1 {
			slices.Sort(g)
			out = append(out, g)
		}
	}
	slices.SortFunc(out, func(a, b []int) int { return a[0] - b[0] })
	return out
}

func buildReport(res []analysis, opts Options) *Report {
	captions := opts.Captions
	// Work in file-name order so the report does not depend on input order.
	order := make([]int, len(res))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(i, j int) int { return strings.Compare(res[i].item.File, res[j].item.File) })
	rs := make([]*analysis, len(res))
	for k, i := range order {
		rs[k] = &res[i]
	}

	var usable []int
	for i, a := range rs {
		if a.usable {
			usable = append(usable, i)
		}
	}
	r := &Report{ImageCount: len(usable), Errors: []Finding{}, Warnings: []Finding{}, Items: make([]Item, 0, len(rs))}
	var groupFindings []Finding

	// Exact duplicates: the same stored copy, so the same bytes, or the same
	// image with different metadata.
	dup := newUnionFind(len(rs))
	firstByHash := map[string]int{}
	for _, i := range usable {
		if j, ok := firstByHash[rs[i].item.SHA256]; ok {
			dup.union(i, j)
		} else {
			firstByHash[rs[i].item.SHA256] = i
		}
	}
	isCopy := make([]bool, len(rs))
	for _, g := range dup.groups(usable) {
		files := names(rs, g)
		for _, i := range g[1:] {
			isCopy[i] = true
			rs[i].add(CodeDuplicate, "the same image as "+rs[g[0]].item.File+": remove this copy")
		}
		groupFindings = append(groupFindings, Finding{Code: CodeDuplicate,
			Message: fmt.Sprintf("%d files are the same image: keep only %s", len(g), rs[g[0]].item.File), Files: files})
	}
	var unique []int
	for _, i := range usable {
		if !isCopy[i] {
			unique = append(unique, i)
		}
	}

	// Near duplicates among the distinct images.
	near := newUnionFind(len(rs))
	for x, i := range unique {
		for _, j := range unique[x+1:] {
			if nearDuplicate(rs[i], rs[j]) {
				near.union(i, j)
			}
		}
	}
	for _, g := range near.groups(unique) {
		for _, i := range g[1:] {
			rs[i].add(CodeNearDuplicate, "almost the same photo as "+rs[g[0]].item.File+
				" (a burst or consecutive frame): replace it with one from another angle, expression or setting")
		}
		groupFindings = append(groupFindings, Finding{Code: CodeNearDuplicate,
			Message: fmt.Sprintf("%d photos are almost the same shot: keep one (%s) and replace the others with different angles, expressions or settings",
				len(g), rs[g[0]].item.File), Files: names(rs, g)})
	}

	// Count, over distinct images.
	n, rec := len(unique), opts.RecommendedImages
	switch {
	case n < minImages:
		extra := ""
		if len(usable) > n {
			extra = fmt.Sprintf(" (%d copies not counted)", len(usable)-n)
		}
		groupFindings = append(groupFindings, Finding{Code: CodeTooFewImages, Files: []string{},
			Message: fmt.Sprintf("%d usable distinct photos%s: add at least %d more (%d minimum, %d to %d recommended)", n, extra, minImages-n, minImages, rec.Min, rec.Max)})
	case n < rec.Min:
		groupFindings = append(groupFindings, Finding{Code: CodeFewImages, Files: []string{},
			Message: fmt.Sprintf("%d distinct photos: %d more would help (%d to %d recommended)", n, rec.Min-n, rec.Min, rec.Max)})
	case n > rec.Max:
		groupFindings = append(groupFindings, Finding{Code: CodeTooManyImages, Files: []string{},
			Message: fmt.Sprintf("%d distinct photos: %d to %d of your best and most varied train better than more", n, rec.Min, rec.Max)})
	}

	// Per-file checks.
	for _, i := range usable {
		a := rs[i]
		// An enlarged photo is judged by the size its detail is worth.
		if a.nativeW > 0 {
			a.add(CodeUpscaled, itemMessage(CodeUpscaled, a, opts))
		}
		if short := a.effectiveShort(); short < opts.MinResolution {
			a.add(CodeResolutionTooLow, itemMessage(CodeResolutionTooLow, a, opts))
		} else if short < opts.RecommendedResolution {
			a.add(CodeResolutionBelowRec, itemMessage(CodeResolutionBelowRec, a, opts))
		}
		switch {
		case a.item.Faces == 0:
			a.add(CodeNoFace, itemMessage(CodeNoFace, a, opts))
			continue
		case a.item.Faces > 1:
			a.add(CodeMultipleFaces, itemMessage(CodeMultipleFaces, a, opts))
		}
		if a.item.FaceScale < faceTooSmallFrac {
			a.add(CodeFaceTooSmall, itemMessage(CodeFaceTooSmall, a, opts))
		}
		if a.item.Blur < blurryBelow {
			a.add(CodeBlurry, itemMessage(CodeBlurry, a, opts))
		}
	}

	// Who the photos show, from the distinct photos with one face; the
	// photos of someone else do not count towards the variety.
	var singles []int
	for _, i := range unique {
		if rs[i].oneFace {
			singles = append(singles, i)
		}
	}
	var idFindings []Finding
	r.Identity, idFindings = identify(rs, singles)
	groupFindings = append(groupFindings, idFindings...)
	singles = slices.DeleteFunc(singles, func(i int) bool { return slices.Contains(r.Identity.Others, rs[i].item.File) })

	// Aggregate per-file issues into findings, per code.
	perCode := map[string][]string{}
	for _, a := range rs {
		for _, is := range a.item.Issues {
			if is.Code == CodeDuplicate || is.Code == CodeNearDuplicate {
				continue // reported per group above
			}
			perCode[is.Code] = append(perCode[is.Code], a.item.File)
		}
	}
	r.Variety, groupFindings = variety(rs, singles, groupFindings)

	for _, code := range codeOrder {
		var fs []Finding
		if files, ok := perCode[code]; ok {
			fs = append(fs, Finding{Code: code, Message: summary(code, len(files), opts), Files: files})
		}
		for _, f := range groupFindings {
			if f.Code == code {
				fs = append(fs, f)
			}
		}
		for _, f := range fs {
			if severityOf(code) == SeverityError {
				r.Errors = append(r.Errors, f)
			} else {
				r.Warnings = append(r.Warnings, f)
			}
		}
	}
	r.OK = len(r.Errors) == 0

	// The dataset hash covers the stripped copies, the bytes that are
	// uploaded and trained on, and their captions (studio.DatasetHash).
	var hashed []studio.HashItem
	for _, i := range usable {
		hashed = append(hashed, studio.HashItem{SHA256: rs[i].item.SHA256, Caption: captions[rs[i].item.File]})
	}
	r.DatasetHash = studio.DatasetHash(hashed)

	for _, a := range rs {
		r.Items = append(r.Items, a.item)
	}
	return r
}

func names(rs []*analysis, idx []int) []string {
	out := make([]string, len(idx))
	for k, i := range idx {
		out[k] = rs[i].item.File
	}
	return out
}

// variety summarises poses, face scale and lighting over the distinct
// photos with exactly one face, and warns when they are too alike.
func variety(rs []*analysis, singles []int, fs []Finding) (Variety, []Finding) {
	v := Variety{Poses: map[string]int{PoseFrontal: 0, PoseThreeQuarterLeft: 0, PoseThreeQuarterRight: 0, PoseProfileLeft: 0, PoseProfileRight: 0}}
	var scales, lights []float64
	for _, i := range singles {
		a := rs[i]
		if a.item.Pose == "" {
			v.UnknownPose++
		} else {
			v.Poses[a.item.Pose]++
		}
		scales = append(scales, a.item.FaceScale)
		lights = append(lights, a.brightness)
	}
	v.FaceScale = spread(scales)
	v.Brightness = spread(lights)
	// Judge variety only on a set big enough to train on; a smaller one
	// already has a count error saying what to add.
	if len(singles) < minImages {
		return v, fs
	}
	// Want at least 15% of the photos (3 of 20) turned to each side.
	want := int(math.Ceil(0.15 * float64(len(singles))))
	left := v.Poses[PoseThreeQuarterLeft] + v.Poses[PoseProfileLeft]
	right := v.Poses[PoseThreeQuarterRight] + v.Poses[PoseProfileRight]
	var add []string
	if left < want {
		add = append(add, fmt.Sprintf("%d photos turned to your left", want-left))
	}
	if right < want {
		add = append(add, fmt.Sprintf("%d photos turned to your right", want-right))
	}
	if v.Poses[PoseFrontal] < want {
		add = append(add, fmt.Sprintf("%d photos facing the camera", want-v.Poses[PoseFrontal]))
	}
	if len(add) > 0 {
		fs = append(fs, Finding{Code: CodeLowAngleVariety, Files: []string{}, Message: fmt.Sprintf(
			"too little variety of head angles (%d frontal, %d turned left, %d turned right): add %s (three-quarter views are best)",
			v.Poses[PoseFrontal], left, right, strings.Join(add, " and "))})
	}
	if v.FaceScale.Min > 0 && v.FaceScale.Max/v.FaceScale.Min < lowScaleVarietyRatio {
		fs = append(fs, Finding{Code: CodeLowScaleVariety, Files: []string{}, Message: fmt.Sprintf(
			"every photo frames your face at about the same size (%.0f%% to %.0f%% of the frame): add a few close-ups and a few head-and-shoulders or half-body shots",
			100*v.FaceScale.Min, 100*v.FaceScale.Max)})
	}
	if v.Brightness.Max-v.Brightness.Min < lowLightingVarietyLevels {
		fs = append(fs, Finding{Code: CodeLowLightingVariety, Files: []string{}, Message: "every photo has the same lighting: add a few in different light (daylight outdoors, window light, warm indoor light)"})
	}
	return v, fs
}

func spread(v []float64) Spread {
	if len(v) == 0 {
		return Spread{}
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return Spread{Min: round3(s[0]), Median: round3(s[len(s)/2]), Max: round3(s[len(s)-1])}
}
