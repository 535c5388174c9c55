package studio

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
)

// Captions: every training photo has a caption, the text the trainer pairs
// with it. A photo's own caption names the person as the placeholder
// TriggerPlaceholder, replaced by the job's trigger word when the job is
// dispatched, so the trigger can change without rewriting captions. An
// empty caption stands for the job's caption template.

// TriggerPlaceholder is how a caption or template names the person.
const TriggerPlaceholder = "{trigger}"

// Where a photo's caption came from.
const (
	CaptionTemplate = "template" // empty: the job's caption template
	CaptionUser     = "user"     // written or edited by the user
	CaptionAuto     = "auto"     // written by the worker's captioner, not yet edited
)

// CaptionSources lists the values of a caption's source.
func CaptionSources() []string { return []string{CaptionTemplate, CaptionUser, CaptionAuto} }

// CheckCaption returns EInvalidCaption (or EInvalidText) unless c is a
// photo's caption the trainer can use: empty (the template), or one line
// of at most MaxCaption bytes naming the person as {trigger}.
func CheckCaption(c string) error {
	if c == "" {
		return nil
	}
	if err := CheckText("caption", c, false); err != nil {
		return err
	}
	switch {
	case len(c) > MaxCaption:
		return Errorf(EInvalidCaption, "a caption is at most %d bytes; this one has %d", MaxCaption, len(c))
	case strings.TrimSpace(c) != c:
		return Errorf(EInvalidCaption, "a caption must not start or end with spaces")
	case !strings.Contains(c, TriggerPlaceholder):
		return Errorf(EInvalidCaption, "a caption must name the person as %s, where the trigger word goes (e.g. \"a photo of %s person smiling\")", TriggerPlaceholder, TriggerPlaceholder)
	}
	return nil
}

// ResolveCaption is the text the trainer gets for a photo: its caption, or
// template when it has none, with {trigger} replaced by trigger.
func ResolveCaption(caption, template, trigger string) string {
	if caption == "" {
		caption = template
	}
	return strings.ReplaceAll(caption, TriggerPlaceholder, trigger)
}

// AutoCaption is the caption made of a captioner's description of a photo:
// the template naming the person, then what the captioner saw. The result
// is cut to MaxCaption on a rune boundary.
func AutoCaption(template, description string) string {
	d := strings.Join(strings.Fields(CleanText(description, MaxCaption)), " ")
	d = strings.TrimRight(d, ".")
	if d == "" {
		return template
	}
	c := template + ", " + d
	if len(c) > MaxCaption {
		c = strings.TrimSpace(CleanText(c, MaxCaption))
	}
	return c
}

// HashItem is what a dataset hash covers of one photo.
type HashItem struct {
	SHA256  string // hex, of the stripped bytes that are uploaded and trained on
	Caption string // the photo's own caption, "" for the template
}

// DatasetHash is "sha256:<hex>" over the photos and their captions, in no
// particular order: one line per photo, its sha256 then, when it has one,
// a tab and its caption, the lines sorted. A dataset without captions
// hashes as it did before captions existed (the sha256s alone).
func DatasetHash(items []HashItem) string {
	lines := make([]string, len(items))
	for i, it := range items {
		lines[i] = it.SHA256
		if it.Caption != "" {
			lines[i] += "\t" + it.Caption
		}
	}
	slices.Sort(lines)
	sum := sha256.Sum256([]byte(strings.Join(lines, "\n")))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// CaptionName is the caption file of a photo the trainer reads: the
// photo's name with .txt for its extension, as ai-toolkit and sd-scripts
// expect ("001.jpg" → "001.txt").
func CaptionName(photo string) string {
	if i := strings.LastIndexByte(photo, '.'); i > 0 {
		photo = photo[:i]
	}
	return fmt.Sprintf("%s.txt", photo)
}
