package api

import "io"

// ReadFrom lets net/http's own io.ReaderFrom through the status recorder:
// http.ServeContent copies a file body with io.Copy, which uses sendfile
// only when the writer is a ReaderFrom. Without it every download the
// backend serves itself (the local store's artifacts and photos under
// /blob/) is copied through user space instead.
func (r *statusRecorder) ReadFrom(src io.Reader) (int64, error) {
	r.wrote = true
	if rf, ok := r.ResponseWriter.(io.ReaderFrom); ok {
		return rf.ReadFrom(src)
	}
	return io.Copy(struct{ io.Writer }{r.ResponseWriter}, src) // hide ReadFrom: no recursion
}
