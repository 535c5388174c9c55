package dataset_test

import (
	"bytes"
	"context"
	"io"
	"slices"
	"testing"

	"github.com/promptforge/lorastudio/internal/dataset"
	"github.com/promptforge/lorastudio/internal/studio"
)

// TestMaxPhotoBytes: the engine refuses a file of studio.MaxPhotoBytes + 1
// bytes as file_too_large, whether its size is declared or only found by
// reading, and reads one of exactly MaxPhotoBytes (this one is not an
// image, so it is refused for that, not for its size).
func TestMaxPhotoBytes(t *testing.T) {
	big := make([]byte, studio.MaxPhotoBytes+1)
	src := func(n int64, declare bool) dataset.Source {
		s := dataset.Source{Name: "p.jpg", Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(big[:n])), nil }}
		if declare {
			s.Size = n
		}
		return s
	}
	for _, tt := range []struct {
		name    string
		src     dataset.Source
		tooLong bool
	}{
		{"one byte over, declared", src(studio.MaxPhotoBytes+1, true), true},
		{"one byte over, undeclared", src(studio.MaxPhotoBytes+1, false), true},
		{"at the limit", src(studio.MaxPhotoBytes, true), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := dataset.Validate(context.Background(), []dataset.Source{tt.src}, dataset.Options{})
			if err != nil {
				t.Fatal(err)
			}
			var codes []string
			for _, it := range rep.Items {
				for _, is := range it.Issues {
					codes = append(codes, is.Code)
				}
			}
			for _, f := range rep.Errors {
				codes = append(codes, f.Code)
			}
			if got := slices.Contains(codes, studio.EFileTooLarge); got != tt.tooLong {
				t.Errorf("codes %v: file_too_large %v, want %v", codes, got, tt.tooLong)
			}
		})
	}
}
