package dataset

import (
	"fmt"
	"testing"
)

func TestFaceCacheForgetsTheOldest(t *testing.T) {
	c := &faceCache{byKey: map[string]faceResult{}}
	for i := range faceCacheSize + 1 {
		c.put(fmt.Sprint(i), faceResult{faces: make([]detected, i%3)})
	}
	if len(c.byKey) != faceCacheSize || len(c.order) != faceCacheSize {
		t.Fatalf("%d entries, %d in order; want %d", len(c.byKey), len(c.order), faceCacheSize)
	}
	if _, ok := c.get("0"); ok {
		t.Error("the oldest entry is still there")
	}
	if r, ok := c.get(fmt.Sprint(faceCacheSize)); !ok || len(r.faces) != faceCacheSize%3 {
		t.Errorf("the newest entry: %v %v", r, ok)
	}
}
