package scanner

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// HTTPUploader sends pages to the county server's scan API with a school's
// technician token. It makes one attempt per call; the Sender retries with
// backoff, and asks HasPage before re-sending a page whose upload may have
// reached the server before the network dropped.
type HTTPUploader struct {
	Server string // base URL, e.g. https://saoyue.county.example
	Token  string
	Client *http.Client // default: 2-minute timeout per request
}

// Headers of a page upload.
const (
	HeaderName   = "X-Saoyue-Name"
	HeaderSeq    = "X-Saoyue-Seq"
	HeaderSHA256 = "X-Saoyue-SHA256"
)

func (u *HTTPUploader) client() *http.Client {
	if u.Client != nil {
		return u.Client
	}
	return &http.Client{Timeout: 2 * time.Minute}
}

func (u *HTTPUploader) url(path string) string {
	return strings.TrimRight(u.Server, "/") + path
}

func (u *HTTPUploader) do(req *http.Request, out any) (int, error) {
	req.Header.Set("Authorization", "Bearer "+u.Token)
	req.Header.Set("User-Agent", "saoyue-scan")
	resp, err := u.client().Do(req)
	if err != nil {
		return 0, fmt.Errorf("cannot reach the server %s: %w", u.Server, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return resp.StatusCode, fmt.Errorf("read the server's answer: %w", err)
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return resp.StatusCode, fmt.Errorf("%w: %s", ErrUnauthorized, serverMessage(body, resp.Status))
	case resp.StatusCode == http.StatusNotFound && req.Method == http.MethodHead:
		return resp.StatusCode, nil
	case resp.StatusCode >= 400 && resp.StatusCode < 500 && resp.StatusCode != http.StatusRequestTimeout && resp.StatusCode != http.StatusTooManyRequests:
		return resp.StatusCode, &RefusedError{Reason: serverMessage(body, resp.Status)}
	case resp.StatusCode >= 300:
		return resp.StatusCode, fmt.Errorf("the server is not ready: %s", serverMessage(body, resp.Status))
	}
	if out != nil && len(body) > 0 {
		if err := json.Unmarshal(body, out); err != nil {
			return resp.StatusCode, fmt.Errorf("the server's answer is not understood: %w", err)
		}
	}
	return resp.StatusCode, nil
}

// serverMessage is the message of the API's JSON error body
// ({"error": {"code", "message"}}), or the status.
func serverMessage(body []byte, status string) string {
	var e struct {
		Error struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &e) == nil && e.Error.Message != "" {
		return e.Error.Message
	}
	return status
}

// OpenBatch creates the batch (POST /api/v1/batches).
func (u *HTTPUploader) OpenBatch(ctx context.Context, spec BatchSpec) (*Batch, error) {
	body, _ := json.Marshal(spec)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.url("/api/v1/batches"), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	var b Batch
	if _, err := u.do(req, &b); err != nil {
		return nil, err
	}
	return &b, nil
}

// GetBatch returns the server's view of a batch (GET /api/v1/batches/{id}).
func (u *HTTPUploader) GetBatch(ctx context.Context, id int64) (*Batch, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.url("/api/v1/batches/"+strconv.FormatInt(id, 10)), nil)
	if err != nil {
		return nil, err
	}
	var b Batch
	if _, err := u.do(req, &b); err != nil {
		return nil, err
	}
	return &b, nil
}

// HasPage asks whether the server has the image (GET /api/v1/pages/{sha256}).
func (u *HTTPUploader) HasPage(ctx context.Context, sha256 string) (int64, bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.url("/api/v1/pages/"+url.PathEscape(sha256)), nil)
	if err != nil {
		return 0, false, err
	}
	var p struct {
		PageID int64 `json:"page_id"`
	}
	_, err = u.do(req, &p)
	var refused *RefusedError
	if errors.As(err, &refused) {
		return 0, false, nil // 404: not there
	}
	if err != nil {
		return 0, false, err
	}
	return p.PageID, true, nil
}

// UploadPage sends the image (POST /api/v1/batches/{id}/pages) with its
// SHA-256, so the server refuses a body cut short on the way.
func (u *HTTPUploader) UploadPage(ctx context.Context, batchID int64, seq int, name, sha256 string, data []byte) (*UploadResult, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost,
		u.url("/api/v1/batches/"+strconv.FormatInt(batchID, 10)+"/pages"), bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", http.DetectContentType(data))
	req.Header.Set(HeaderName, url.PathEscape(name)) // names may be Chinese; headers are ASCII
	req.Header.Set(HeaderSeq, strconv.Itoa(seq))
	req.Header.Set(HeaderSHA256, sha256)
	var res UploadResult
	if _, err := u.do(req, &res); err != nil {
		return nil, err
	}
	return &res, nil
}
