package web

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/store"
)

// TestOneErrorPath: s.error answers an /api/ route or a script asking for
// JSON with the one JSON shape, anything else with the Chinese error page;
// the status comes from the code, a store sentinel keeps its code and
// message through wrapping, and an internal error's detail is never shown.
func TestOneErrorPath(t *testing.T) {
	t.Parallel()
	s := NewServer(nil, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	cases := []struct {
		name, path, accept string
		err                error
		status             int
		json               bool
		code, msg          string
	}{
		{"coded, API", "/api/marking/next", "", saoyue.Errorf(saoyue.ECONFLICT, "已被他人处理"), 409, true, "conflict", "已被他人处理"},
		{"store sentinel wrapped", "/api/v1/batches/7", "", errors.Join(errors.New("batch 7"), store.ErrBatchNotFound), 404, true, "not_found", "没有这个卡袋批次"},
		{"script asks for JSON", "/centre/plan", "application/json", saoyue.Errorf(saoyue.EINVALID, "输入有误"), 400, true, "invalid", "输入有误"},
		{"page", "/centre/plan", "text/html", saoyue.Errorf(saoyue.EFORBIDDEN, "无权访问"), 403, false, "", "无权访问"},
		{"internal, API", "/api/marking/next", "", errors.New("pq: connection refused on 10.0.0.5"), 500, true, "internal", internalMessage},
		{"internal, page", "/tech", "", errors.New("pq: connection refused on 10.0.0.5"), 500, false, "", internalMessage},
		{"unauthorized", "/api/centre/dashboard", "", store.ErrNoSession, 401, true, "unauthorized", "请先登录"},
	}
	for _, c := range cases {
		r := httptest.NewRequest("GET", c.path, nil)
		if c.accept != "" {
			r.Header.Set("Accept", c.accept)
		}
		w := httptest.NewRecorder()
		s.error(w, r, c.err)
		body := w.Body.String()
		if w.Code != c.status {
			t.Errorf("%s: status %d, want %d", c.name, w.Code, c.status)
		}
		if strings.Contains(body, "10.0.0.5") {
			t.Errorf("%s: internal detail shown: %s", c.name, body)
		}
		if !c.json {
			if !strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") || !strings.Contains(body, c.msg) {
				t.Errorf("%s: %s %q, want an HTML page saying %q", c.name, w.Header().Get("Content-Type"), body, c.msg)
			}
			continue
		}
		var e apiError
		if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Error.Code != c.code || e.Error.Message != c.msg {
			t.Errorf("%s: %s, want {code %q, message %q}", c.name, body, c.code, c.msg)
		}
	}
}
