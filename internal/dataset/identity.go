package dataset

import (
	"fmt"
	"strings"

	"github.com/promptforge/lorastudio/internal/face"
)

// identify finds the main person of the photos cand (distinct photos with
// exactly one face) from their face embeddings, flags the photos of anyone
// else as different_person, and returns the set's identity and, when no one
// is in most of the photos, a no_main_person finding.
func identify(rs []*analysis, cand []int) (SetIdentity, []Finding) {
	id := SetIdentity{Others: []string{}}
	var embs []face.Embedding
	var idx []int
	for _, i := range cand {
		if rs[i].emb != nil {
			embs = append(embs, rs[i].emb)
			idx = append(idx, i)
		}
	}
	id.Compared = len(embs)
	if len(embs) == 0 {
		return id, nil
	}
	g := face.Group(embs, face.SamePersonBelow)
	for k, i := range idx {
		d := round3(g.Distance[k])
		rs[i].item.IdentityDistance = &d
	}
	ref := rs[idx[g.Medoid]]
	id.Reference, id.ReferenceBox = ref.item.File, ref.item.FaceBox
	id.Clear, id.Members = g.Clear, len(g.Members)
	if !g.Clear {
		var files []string
		for _, k := range g.Members {
			files = append(files, rs[idx[k]].item.File)
		}
		return id, []Finding{{Code: CodeNoMainPerson, Files: files, Message: fmt.Sprintf(
			"no one person is in most of these photos: the largest group of matching faces is %d of the %d photos compared (%s); use photos of you alone",
			len(g.Members), len(embs), strings.Join(files, ", "))}}
	}
	for _, k := range g.Others {
		a := rs[idx[k]]
		id.Others = append(id.Others, a.item.File)
		a.add(CodeDifferentPerson, fmt.Sprintf("this face does not match the person in most of your photos (compare with %s): remove it if it is not you; if it is, replace it with a photo closer to your others (similar age, no heavy make-up or filters)", ref.item.File))
	}
	return id, nil
}
