package web

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/saoyue/saoyue"
)

// writeJSON sends v with the status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// apiError is the one JSON error body: {"error": {"code", "message"}}.
type apiError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// internalMessage is all a user learns of an internal error; the detail
// goes to the log.
const internalMessage = "服务器内部错误，请稍后重试"

// error is the one way a handler answers a failure: JSON for the API (the
// pages' scripts and the scan stations), a Chinese error page otherwise.
// The status comes from the error's code (httpStatus); the message is the
// coded error's, or a generic one for an internal error, which is logged.
func (s *Server) error(w http.ResponseWriter, r *http.Request, err error) {
	code := saoyue.ErrorCode(err)
	msg := saoyue.ErrorMessage(err)
	if code == saoyue.EINTERNAL {
		s.Logger.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		msg = internalMessage
	}
	if wantsJSON(r) {
		var body apiError
		body.Error.Code, body.Error.Message = code, msg
		writeJSON(w, httpStatus(code), body)
		return
	}
	w.WriteHeader(httpStatus(code))
	s.render(w, "error.html", pageData{Title: "出错了", Session: sessionOf(r), Data: msg})
}

// wantsJSON: every /api/ route speaks JSON, and so does a script that asks
// for it.
func wantsJSON(r *http.Request) bool {
	return strings.HasPrefix(r.URL.Path, "/api/") || strings.Contains(r.Header.Get("Accept"), "application/json")
}

// httpStatus is the one place error codes become HTTP statuses.
func httpStatus(code string) int {
	switch code {
	case saoyue.ECONFLICT:
		return http.StatusConflict
	case saoyue.EINVALID:
		return http.StatusBadRequest
	case saoyue.ENOTFOUND:
		return http.StatusNotFound
	case saoyue.EFORBIDDEN:
		return http.StatusForbidden
	case saoyue.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case "":
		return http.StatusOK
	}
	return http.StatusInternalServerError
}

// pageError is s.error under the name the stage, plan and approval pages
// still call it by.
func (s *Server) pageError(w http.ResponseWriter, r *http.Request, err error) { s.error(w, r, err) }
