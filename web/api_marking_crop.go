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
		s.error(w, r, saoyue.Errorf(saoyue.ENOTFOUND, "The image of this answer is missing; flag it as wrong_region."))
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
