package wire_test

import (
	"reflect"
	"strconv"
	"testing"

	"github.com/promptforge/lorastudio/internal/studio"
	"github.com/promptforge/lorastudio/internal/wire"
)

// TestTagsMatchLimits: the validation tags the server's framework applies
// spell out limits of internal/studio (a struct tag cannot name a
// constant); each must say the constant's value.
func TestTagsMatchLimits(t *testing.T) {
	tests := []struct {
		typ   reflect.Type
		field string
		tag   string
		want  int
	}{
		{reflect.TypeFor[wire.InitRequest](), "Files", "maxItems", studio.MaxDatasetPhotos},
		{reflect.TypeFor[wire.PresignRequest](), "Files", "maxItems", studio.MaxDatasetPhotos},
		{reflect.TypeFor[wire.CommitRequest](), "Files", "maxItems", studio.MaxDatasetPhotos},
	}
	for _, tt := range tests {
		f, ok := tt.typ.FieldByName(tt.field)
		if !ok {
			t.Fatalf("%s has no field %s", tt.typ, tt.field)
		}
		got, err := strconv.Atoi(f.Tag.Get(tt.tag))
		if err != nil || got != tt.want {
			t.Errorf("%s.%s: tag %s:%q, want %d", tt.typ, tt.field, tt.tag, f.Tag.Get(tt.tag), tt.want)
		}
	}
}
