package web

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/saoyue/saoyue"
)

// writeJSON sends v with the status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// apiError is the body of every API error: {"error": {"code", "message"}}.
type apiError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// writeError sends err as JSON with the status its code maps to
// (saoyue.HTTPStatus); internal errors are logged and not shown.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := saoyue.ErrorCode(err)
	if code == saoyue.EINTERNAL {
		s.Logger.Error("api", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	var body apiError
	body.Error.Code, body.Error.Message = code, saoyue.ErrorMessage(err)
	writeJSON(w, saoyue.HTTPStatus(code), body)
}

// decodeJSON reads a JSON body of at most 64 KiB into v, refusing unknown
// fields so a misspelt field is an error, not a silent default.
func decodeJSON(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil && !errors.Is(err, io.EOF) {
		return saoyue.Errorf(saoyue.EINVALID, "The request body is not valid JSON for this call: %v.", err)
	}
	return nil
}
