package web_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/grading"
	"github.com/saoyue/saoyue/queue"
	"github.com/saoyue/saoyue/scanner"
	"github.com/saoyue/saoyue/store"
)

// TestScanRefusedOutsideScanning: no batch opens and no page is taken for
// an exam before scanning or once it is final, through the API and through
// the ingester the direct mode and the demo use.
func TestScanRefusedOutsideScanning(t *testing.T) {
	t.Parallel()
	e := newScanEnv(t)
	ctx := context.Background()
	early := &store.Exam{Code: "23", Name: "未开始", RoomCapacity: 30, Subjects: []store.Subject{{Code: "math", Name: "数学", Session: "am", FullScore: 100}}}
	if err := e.db.CreateExam(ctx, early); err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"exam":"23","subject":"math","school":"0101","room":1}`)
	code, out := e.do(t, "POST", "/api/v1/batches", e.token, body, map[string]string{"Content-Type": "application/json"})
	if code != http.StatusConflict || !strings.Contains(scanErrMsg(out), "还没有开始扫描") {
		t.Errorf("batch of an exam in setup: %d %v", code, out)
	}

	code, out = e.openBatch(t, e.token, "0101", 1)
	if code != http.StatusCreated {
		t.Fatalf("open batch while scanning: %d %v", code, out)
	}
	batchID := int64(out["id"].(float64))
	if _, err := grading.AdvanceTo(ctx, e.db, "21", saoyue.StageFinal, "中心王", "测试：直接发布"); err != nil {
		t.Fatal(err)
	}
	data := scanPNG(t, 7)
	sha := scanner.SHA256(data)
	code, out = e.do(t, "POST", fmt.Sprintf("/api/v1/batches/%d/pages", batchID), e.token, data,
		map[string]string{"X-Saoyue-SHA256": sha, "X-Saoyue-Seq": "1", "X-Saoyue-Name": "p1.png"})
	if code != http.StatusConflict || scanErrMsg(out) != "考试 21 当前阶段为「已发布」，不能再上传答题卡" {
		t.Errorf("upload to a final exam: %d %v", code, out)
	}
	if code, out := e.openBatch(t, e.token, "0101", 2); code != http.StatusConflict {
		t.Errorf("open batch of a final exam: %d %v", code, out)
	}
	in := &queue.Ingester{DB: e.db, Blobs: e.blobs, Queue: e.q}
	_, err := in.AddPage(ctx, batchID, 1, "p1.png", data)
	if saoyue.ErrorCode(err) != saoyue.ECONFLICT {
		t.Errorf("direct ingest to a final exam: %v", err)
	}
	if e.pageCount(t, sha) != 0 || e.q.count() != 0 {
		t.Error("a refused upload recorded a page or queued a read")
	}
}
