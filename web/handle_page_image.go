package web

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/blob"
	"github.com/saoyue/saoyue/store"
)

func urlQuery(s string) string { return url.QueryEscape(s) }

// handlePageImage: GET /pages/{id}/image streams a scanned page to a
// technician of the page's school or the centre: it shows the candidate's
// name and exam number, so no marker may fetch it.
func (s *Server) handlePageImage(w http.ResponseWriter, r *http.Request) {
	sess := sessionOf(r)
	id, err := pathInt(r, "id")
	if err != nil {
		s.error(w, r, err)
		return
	}
	v, err := store.GetPageView(r.Context(), s.DB.Pool, id)
	if err != nil {
		s.error(w, r, err)
		return
	}
	if !mayHandle(sess.User, v.SchoolID) && !sess.User.Has(saoyue.RoleApprover) {
		s.error(w, r, saoyue.Errorf(saoyue.EFORBIDDEN, "这一页不属于您的学校"))
		return
	}
	rc, err := s.Blobs.Get(r.Context(), v.BlobKey)
	if errors.Is(err, blob.ErrNotFound) {
		s.error(w, r, saoyue.Errorf(saoyue.ENOTFOUND, "这一页的图像不在存储中"))
		return
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	defer rc.Close()
	ct := "image/jpeg"
	if strings.HasSuffix(v.BlobKey, ".png") {
		ct = "image/png"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Cache-Control", "private, max-age=3600")
	if _, err := io.Copy(w, rc); err != nil {
		s.Logger.Debug("page image stream", "err", err)
	}
}
