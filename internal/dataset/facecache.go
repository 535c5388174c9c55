package dataset

import (
	"sync"

	"github.com/promptforge/lorastudio/internal/face"
)

// faceCacheSize is how many photos' faces a process remembers: the desktop
// validates the same photos again after every change to the set, and the
// face models are most of the cost of a photo (about 70 ms of CPU).
const faceCacheSize = 1024

// faceResult is what the face models found in one photo.
type faceResult struct {
	faces []detected
	emb   face.Embedding
}

// faceCache remembers faceResults by the sha256 of the photo's stored copy
// (same pixels, same orientation, same faces), forgetting the oldest first.
type faceCache struct {
	mu    sync.Mutex
	byKey map[string]faceResult
	order []string
}

var faceMemo = &faceCache{byKey: map[string]faceResult{}}

func (c *faceCache) get(sha string) (faceResult, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.byKey[sha]
	return r, ok
}

func (c *faceCache) put(sha string, r faceResult) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.byKey[sha]; ok {
		return
	}
	if len(c.order) >= faceCacheSize {
		delete(c.byKey, c.order[0])
		c.order = c.order[1:]
	}
	c.byKey[sha] = r
	c.order = append(c.order, sha)
}
