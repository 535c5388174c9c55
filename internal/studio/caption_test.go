package studio

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
)

func TestCheckCaption(t *testing.T) {
	at := strings.Repeat("x", MaxCaption-len(TriggerPlaceholder)) + TriggerPlaceholder
	for _, tc := range []struct {
		name, caption, code string
	}{
		{"empty is the template", "", ""},
		{"names the person", "a photo of {trigger} person smiling", ""},
		{"at the bound", at, ""},
		{"one past the bound", "x" + at, EInvalidCaption},
		{"no placeholder", "a photo of a person", EInvalidCaption},
		{"trigger word written out", "a photo of ohwx person", EInvalidCaption},
		{"leading space", " {trigger}", EInvalidCaption},
		{"two lines", "{trigger}\nsmiling", EInvalidText},
		{"tab", "{trigger}\tsmiling", EInvalidText},
		{"bidi override", "{trigger} \u202egnilims", EInvalidText},
		{"invalid utf-8", "{trigger} \xff", EInvalidText},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckCaption(tc.caption)
			if got := codeOf(err); got != tc.code {
				t.Fatalf("CheckCaption(%q) = %v, want code %q", tc.caption, err, tc.code)
			}
		})
	}
}

func codeOf(err error) string {
	if err == nil {
		return ""
	}
	return ErrorCode(err)
}

func TestResolveCaption(t *testing.T) {
	for _, tc := range []struct{ caption, template, trigger, want string }{
		{"", "a photo of {trigger} person", "ohwx", "a photo of ohwx person"},
		{"{trigger} person laughing, {trigger} again", "unused {trigger}", "sks", "sks person laughing, sks again"},
	} {
		if got := ResolveCaption(tc.caption, tc.template, tc.trigger); got != tc.want {
			t.Errorf("ResolveCaption(%q, %q, %q) = %q, want %q", tc.caption, tc.template, tc.trigger, got, tc.want)
		}
	}
}

func TestAutoCaption(t *testing.T) {
	const tpl = "a photo of {trigger} person"
	for _, tc := range []struct{ desc, want string }{
		{"A man with a beard, smiling.", "a photo of {trigger} person, A man with a beard, smiling"},
		{"  wearing\na blue\tshirt  ", "a photo of {trigger} person, wearing a blue shirt"},
		{"", tpl},
		{"...", tpl},
	} {
		got := AutoCaption(tpl, tc.desc)
		if got != tc.want {
			t.Errorf("AutoCaption(%q) = %q, want %q", tc.desc, got, tc.want)
		}
		if err := CheckCaption(got); err != nil {
			t.Errorf("AutoCaption(%q) = %q is not a valid caption: %v", tc.desc, got, err)
		}
	}
	long := AutoCaption(tpl, strings.Repeat("é", MaxCaption))
	if len(long) > MaxCaption || CheckCaption(long) != nil {
		t.Errorf("a long description gives a caption of %d bytes (max %d), valid: %v", len(long), MaxCaption, CheckCaption(long))
	}
}

func TestDatasetHash(t *testing.T) {
	a, b := strings.Repeat("a", 64), strings.Repeat("b", 64)
	plain := DatasetHash([]HashItem{{SHA256: a}, {SHA256: b}})
	// Before captions the hash was the sha256 of the sorted sha256s joined
	// by newlines; a dataset without captions keeps it.
	if want := "sha256:" + sha256Hex(a+"\n"+b); plain != want {
		t.Fatalf("hash without captions = %s, want %s", plain, want)
	}
	if got := DatasetHash([]HashItem{{SHA256: b}, {SHA256: a}}); got != plain {
		t.Errorf("the order of the photos changed the hash")
	}
	captioned := DatasetHash([]HashItem{{SHA256: a, Caption: "{trigger} smiling"}, {SHA256: b}})
	if captioned == plain {
		t.Errorf("a caption did not change the hash")
	}
	other := DatasetHash([]HashItem{{SHA256: a}, {SHA256: b, Caption: "{trigger} smiling"}})
	if other == captioned {
		t.Errorf("the same caption on another photo gave the same hash")
	}
}

func TestCaptionName(t *testing.T) {
	for in, want := range map[string]string{"001.jpg": "001.txt", "a.b.png": "a.b.txt", "noext": "noext.txt", ".hidden": ".hidden.txt"} {
		if got := CaptionName(in); got != want {
			t.Errorf("CaptionName(%q) = %q, want %q", in, got, want)
		}
	}
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
