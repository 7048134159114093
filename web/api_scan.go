package web

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	saoyue "github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/queue"
	"github.com/saoyue/saoyue/store"
)

// The scan API is what saoyue-scan talks to: a school's scan station opens
// a batch for each bag and uploads its page images, authenticated by a
// technician token of that school (`saoyue token create`). Every image
// ends in queue.Ingester, which stores it once under its SHA-256.

// maxPageBytes bounds one uploaded image; a scanned page is a few MB.
const maxPageBytes = 64 << 20

var sha256Hex = regexp.MustCompile(`^[0-9a-f]{64}$`)

type scanTokenKey struct{}

// scanAuth admits requests bearing a live technician token.
func (s *Server) scanAuth(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || token == "" {
			s.error(w, r, saoyue.Errorf(saoyue.EUNAUTHORIZED, "缺少技术员令牌：请用 --token 运行 saoyue-scan（令牌由 saoyue token create 签发）"))
			return
		}
		t, err := store.ScanTokenBySecret(r.Context(), s.DB.Pool, strings.TrimSpace(token))
		if err != nil {
			s.error(w, r, err)
			return
		}
		next(w, r.WithContext(context.WithValue(r.Context(), scanTokenKey{}, t)))
	}
}

func scanToken(r *http.Request) *store.ScanToken {
	return r.Context().Value(scanTokenKey{}).(*store.ScanToken)
}

// scanBatchJSON is the batch as saoyue-scan reads it (scanner.Batch).
type scanBatchJSON struct {
	ID       int64              `json:"id"`
	Exam     string             `json:"exam"`
	Subject  string             `json:"subject"`
	School   string             `json:"school"`
	Room     int                `json:"room"`
	Expected int                `json:"expected"`
	Status   saoyue.BatchStatus `json:"status"`
	Pages    int                `json:"pages"`
}

func toScanBatchJSON(b *store.ScanBatch) scanBatchJSON {
	return scanBatchJSON{ID: b.ID, Exam: b.ExamCode, Subject: b.SubjectCode, School: b.SchoolCode,
		Room: b.Room, Expected: b.ExpectedCards, Status: b.Status, Pages: b.Pages}
}

// handleScanOpenBatch opens the batch of a bag of the token's school, or
// returns the bag's open batch: 201 when created, 200 when continued.
func (s *Server) handleScanOpenBatch(w http.ResponseWriter, r *http.Request) {
	t := scanToken(r)
	var req struct {
		Exam     string `json:"exam"`
		Subject  string `json:"subject"`
		School   string `json:"school"`
		Room     int    `json:"room"`
		Expected int    `json:"expected"`
	}
	if err := decodeJSON(r, &req); err != nil {
		s.error(w, r, err)
		return
	}
	switch {
	case req.Exam == "" || req.Subject == "" || req.School == "":
		s.error(w, r, saoyue.Errorf(saoyue.EINVALID, "开卷袋批次需要考试、学科和学校代码"))
		return
	case req.Room < 0 || req.Room > 99:
		s.error(w, r, saoyue.Errorf(saoyue.EINVALID, "考场 %d 不存在：考场编号为 1 到 99", req.Room))
		return
	case req.Expected < 0 || req.Expected > 1000:
		s.error(w, r, saoyue.Errorf(saoyue.EINVALID, "应有答题卡数 %d 不合理：一袋在 0 到 1000 张之间", req.Expected))
		return
	case req.School != t.SchoolCode:
		s.error(w, r, saoyue.Errorf(saoyue.EFORBIDDEN, "此令牌属于学校 %s，不能为学校 %s 扫描", t.SchoolCode, req.School))
		return
	}
	if exam, err := store.GetExam(r.Context(), s.DB.Pool, req.Exam); err == nil {
		if err := queue.ScansAccepted(exam.Code, exam.Status); err != nil {
			s.error(w, r, err)
			return
		}
	}
	b, created, err := s.DB.OpenScanBatch(r.Context(), store.ScanBag{
		ExamCode: req.Exam, SubjectCode: req.Subject, SchoolCode: req.School, Room: req.Room,
		Expected: req.Expected, CreatedBy: fmt.Sprintf("scan token %d %s", t.ID, t.Label),
	})
	if err != nil {
		s.error(w, r, err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	writeJSON(w, status, toScanBatchJSON(b))
}

// scanBatchOf loads the batch named in the path and checks it is the
// token's school's.
func (s *Server) scanBatchOf(r *http.Request) (*store.ScanBatch, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return nil, saoyue.Errorf(saoyue.EINVALID, "%q 不是卡袋批次号", r.PathValue("id"))
	}
	b, err := store.ScanBatchByID(r.Context(), s.DB.Pool, id)
	if err != nil {
		return nil, err
	}
	if t := scanToken(r); b.SchoolID != t.SchoolID {
		return nil, saoyue.Errorf(saoyue.EFORBIDDEN, "批次 %d 不属于本令牌的学校（%s）", id, t.SchoolCode)
	}
	return b, nil
}

func (s *Server) handleScanBatch(w http.ResponseWriter, r *http.Request) {
	b, err := s.scanBatchOf(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toScanBatchJSON(b))
}

// handleScanPage says whether an image is already a page of the token's
// school, so a station that lost its connection re-sends only what is
// missing. A page of another school is reported as not found.
func (s *Server) handleScanPage(w http.ResponseWriter, r *http.Request) {
	sum := r.PathValue("sha256")
	if !sha256Hex.MatchString(sum) {
		s.error(w, r, saoyue.Errorf(saoyue.EINVALID, "%q 不是小写十六进制的 SHA-256", sum))
		return
	}
	notFound := saoyue.Errorf(saoyue.ENOTFOUND, "没有图像为 %s 的页", sum[:12])
	p, err := store.PageBySHA256(r.Context(), s.DB.Pool, sum)
	if errors.Is(err, store.ErrPageNotFound) {
		s.error(w, r, notFound)
		return
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	school, err := store.PageSchool(r.Context(), s.DB.Pool, p.ID)
	if err != nil {
		s.error(w, r, err)
		return
	}
	if school != scanToken(r).SchoolID {
		s.error(w, r, notFound)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"page_id": p.ID, "sha256": p.ImageSHA256, "batch_id": p.BatchID, "seq": p.Seq, "status": p.Status,
	})
}

// handleScanUpload takes one page image. The body must hash to the
// X-Saoyue-SHA256 header: an upload cut short by the network is refused
// whole, and nothing of it is recorded.
func (s *Server) handleScanUpload(w http.ResponseWriter, r *http.Request) {
	b, err := s.scanBatchOf(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	if s.Ingester == nil {
		s.error(w, r, fmt.Errorf("scan upload: the server was started without an ingester"))
		return
	}
	if b.Status != saoyue.BatchOpen {
		s.error(w, r, saoyue.Errorf(saoyue.ECONFLICT, "批次 %d 已%s，不再接收新页", b.ID, b.Status.Name()))
		return
	}
	want := strings.ToLower(strings.TrimSpace(r.Header.Get("X-Saoyue-SHA256")))
	if !sha256Hex.MatchString(want) {
		s.error(w, r, saoyue.Errorf(saoyue.EINVALID, "上传缺少有效的 X-Saoyue-SHA256 头"))
		return
	}
	seq, err := strconv.Atoi(r.Header.Get("X-Saoyue-Seq"))
	if err != nil || seq < 1 {
		s.error(w, r, saoyue.Errorf(saoyue.EINVALID, "上传缺少有效的 X-Saoyue-Seq 头（该页在扫描中的序号，从 1 开始）"))
		return
	}
	name, err := url.PathUnescape(r.Header.Get("X-Saoyue-Name"))
	if err != nil {
		name = r.Header.Get("X-Saoyue-Name")
	}
	if len(name) > 255 {
		name = name[:255]
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxPageBytes))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		s.error(w, r, saoyue.Errorf(saoyue.EINVALID, "页 %s 超过 %d MB，不是扫描页", name, maxPageBytes>>20))
		return
	}
	if err != nil {
		s.error(w, r, saoyue.Errorf(saoyue.EINVALID, "页 %s 传输不完整（%v），请重新发送", name, err))
		return
	}
	sum := sha256.Sum256(data)
	got := hex.EncodeToString(sum[:])
	if got != want {
		s.error(w, r, saoyue.Errorf(saoyue.EINVALID, "页 %s 传输损坏或不完整（%d 字节，SHA-256 %s，应为 %s），请重新发送", name, len(data), got[:12], want[:12]))
		return
	}
	if !isJPEGOrPNG(data) {
		s.error(w, r, saoyue.Errorf(saoyue.EINVALID, "页 %s 不是 JPEG 或 PNG 图像", name))
		return
	}
	res, err := s.Ingester.AddHashedPage(r.Context(), b.ID, seq, name, got, data)
	if err != nil {
		s.error(w, r, fmt.Errorf("upload page %s of batch %d: %w", name, b.ID, err))
		return
	}
	status := http.StatusCreated
	if res.Duplicate {
		status = http.StatusOK
		if err := s.ownDuplicate(r, b, res); err != nil {
			s.error(w, r, err)
			return
		}
	}
	writeJSON(w, status, res)
}

// ownDuplicate refuses a duplicate of another school's page the way any
// other school's page is refused: the station learns neither its id nor
// that it exists in a bag it cannot see.
func (s *Server) ownDuplicate(r *http.Request, b *store.ScanBatch, res *queue.IngestResult) error {
	if res.BatchID == b.ID {
		return nil
	}
	other, err := store.GetBatch(r.Context(), s.DB.Pool, res.BatchID)
	if err != nil && !errors.Is(err, store.ErrBatchNotFound) {
		return err
	}
	if other == nil || other.SchoolID != b.SchoolID {
		return saoyue.Errorf(saoyue.EFORBIDDEN, "这张图像已在其他卡袋中上传过，不能再上传到本卡袋")
	}
	return nil
}

func isJPEGOrPNG(b []byte) bool {
	return strings.HasPrefix(string(b[:min(len(b), 8)]), "\xFF\xD8\xFF") || strings.HasPrefix(string(b[:min(len(b), 8)]), "\x89PNG\r\n\x1a\n")
}
