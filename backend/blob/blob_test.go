package blob_test

import (
	"testing"

	"github.com/promptforge/lorastudio/backend/blob"
	"github.com/promptforge/lorastudio/internal/studio"
)

func TestPlanParts(t *testing.T) {
	const GiB, TiB = int64(1) << 30, int64(1) << 40
	tests := []struct {
		name          string
		size, pref    int64
		wantPart      int64
		wantCount     int
		wantErrorCode string
	}{
		{name: "11 MiB in 5 MiB parts", size: 11 * MiB, pref: 5 * MiB, wantPart: 5 * MiB, wantCount: 3},
		{name: "exact multiple", size: 10 * MiB, pref: 5 * MiB, wantPart: 5 * MiB, wantCount: 2},
		{name: "preference under the minimum", size: 11 * MiB, pref: MiB, wantPart: 5 * MiB, wantCount: 3},
		{name: "no preference", size: 11 * MiB, pref: 0, wantPart: 5 * MiB, wantCount: 3},
		{name: "one byte", size: 1, pref: 8 * MiB, wantPart: 8 * MiB, wantCount: 1},
		{name: "preference over 5 GiB", size: 20 * GiB, pref: 10 * GiB, wantPart: 5 * GiB, wantCount: 4},
		{name: "100 GiB needs parts over 5 MiB", size: 100 * GiB, pref: 5 * MiB, wantPart: 10737419, wantCount: 10000},
		{name: "5 TiB, the largest object", size: 5 * TiB, pref: 5 * MiB, wantPart: 549755814, wantCount: 10000},
		{name: "over 5 TiB", size: 5*TiB + 1, pref: 5 * MiB, wantErrorCode: studio.ETooLarge},
		{name: "empty", size: 0, pref: 5 * MiB, wantErrorCode: studio.EInvalid},
		{name: "negative", size: -1, pref: 5 * MiB, wantErrorCode: studio.EInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			part, count, err := blob.PlanParts(tt.size, tt.pref)
			if code := studio.ErrorCode(err); code != tt.wantErrorCode {
				t.Fatalf("error: got %v, want code %q", err, tt.wantErrorCode)
			}
			if err != nil {
				return
			}
			if part != tt.wantPart || count != tt.wantCount {
				t.Errorf("got %d parts of %d, want %d of %d", count, part, tt.wantCount, tt.wantPart)
			}
			// The rules themselves: equal parts but a shorter last one, which
			// is the only one allowed under 5 MiB, and at most 10,000 parts.
			last := tt.size - int64(count-1)*part
			if part < blob.MinPartSize || part > blob.MaxPartSize || count > blob.MaxParts || last <= 0 || last > part {
				t.Errorf("%d parts of %d with a last of %d break the S3/R2 rules", count, part, last)
			}
		})
	}
}

func TestValidKey(t *testing.T) {
	tests := map[string]bool{
		"users/u1/datasets/d1/0a1b.jpg": true,
		"a":                             true,
		"users/u_1/x-y.z":               true,
		"":                              false,
		"/users/u1/a.jpg":               false,
		"users/u1/":                     false,
		"users//a.jpg":                  false,
		"users/../a.jpg":                false,
		"users/./a.jpg":                 false,
		"..":                            false,
		"users/.hidden":                 false,
		"users/a b.jpg":                 false,
		"users/a~meta":                  false,
		`users\a.jpg`:                   false,
		"users/é.jpg":                   false,
		"users/a.jpg?x=1":               false,
		"users/a%2e.jpg":                false,
		string(make([]byte, 513)):       false,
	}
	for key, want := range tests {
		if got := blob.ValidKey(key); got != want {
			t.Errorf("ValidKey(%q): got %v, want %v", key, got, want)
		}
	}
}
