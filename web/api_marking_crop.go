package web

import (
	"errors"
	"io"
	"net/http"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/blob"
)

// handleMarkingCrop: GET /api/marking/tasks/{task}/crop streams the answer
// image, to the marker holding the task or the group's leader only.
func (s *Server) handleMarkingCrop(w http.ResponseWriter, r *http.Request) {
	m := s.marker(w, r)
	if m == nil {
		return
	}
	id, err := s.pathTask(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	ref, err := s.engine().Crop(r.Context(), m, id)
	if err != nil {
		s.error(w, r, err)
		return
	}
	rc, err := blob.Open(r.Context(), s.Blobs, ref)
	if errors.Is(err, blob.ErrNotFound) {
		s.error(w, r, saoyue.Errorf(saoyue.ENOTFOUND, "这份答卷的图像缺失，请标记为问题卷（区域错误）"))
		return
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	defer rc.Close()
	w.Header().Set("Content-Type", "image/jpeg")
	// The image must not outlive the task in a shared cache.
	w.Header().Set("Cache-Control", "private, no-store")
	if _, err := io.Copy(w, rc); err != nil {
		s.Logger.Debug("crop stream", "err", err)
	}
}
