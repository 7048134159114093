package web

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/blob"
	"github.com/saoyue/saoyue/blob/blobtest"
	"github.com/saoyue/saoyue/grading/marking"
	"github.com/saoyue/saoyue/store"
	"github.com/saoyue/saoyue/store/storetest"
)

// site is the real server on real PostgreSQL and MinIO with a seeded
// county whose marking has started: what the browser tests click through.
type site struct {
	t      testing.TB
	db     *store.DB
	srv    *httptest.Server
	server *Server
	seed   *storetest.SeededMarking
	plan   *marking.Plan
}

const testPassword = "Passw0rd-test"

func newSite(t testing.TB, examCode string) *site {
	t.Helper()
	ctx := context.Background()
	_, url := storetest.NewWithURL(t)
	db, err := store.Open(ctx, url+"&pool_max_conns=12")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	seed, err := storetest.SeedMarking(ctx, db.Pool, storetest.MarkingSeed{
		ExamCode: examCode, Subject: "math", Schools: 3, TeachersPerSchool: 3, StudentsPerSchool: 60,
		Groups: []store.QuestionGroup{{Code: "17", MaxScore: 10, Step: 1, Mode: "1+0",
			Subs: []store.SubQuestion{{Sub: "1", Max: 6, Step: 1}, {Sub: "2", Max: 4, Step: 1}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	blobs := testMinIO(t)
	// Every test schema numbers its pages from 1: the keys get the schema's
	// own prefix so parallel tests do not share crops in the one bucket.
	prefix := fmt.Sprintf("webtest/%d-%d/", time.Now().UnixNano(), rand.IntN(1e6))
	if _, err := db.Pool.Exec(ctx, `UPDATE crops SET blob_key = $1 || blob_key`, prefix); err != nil {
		t.Fatal(err)
	}
	rows, err := db.Pool.Query(ctx, `SELECT blob_key FROM crops ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for rows.Next() {
		var k string
		_ = rows.Scan(&k)
		keys = append(keys, k)
	}
	rows.Close()
	face := answerFace()
	for i, k := range keys {
		b := answerImage(face, i)
		if err := blobs.Put(ctx, k, bytes.NewReader(b), int64(len(b)), "image/jpeg"); err != nil {
			t.Fatal(err)
		}
	}
	plan, err := marking.GeneratePlan(ctx, db, seed.SubjectID, "test")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := marking.CreateSubjectTasks(ctx, db.Pool, seed.SubjectID); err != nil {
		t.Fatal(err)
	}
	s := NewServer(db, blobs, slog.New(slog.NewTextHandler(io.Discard, nil)))
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return &site{t: t, db: db, srv: srv, server: s, seed: seed, plan: plan}
}

// user creates an account with the test password.
func (s *site) user(login string, mustChange bool, roles []saoyue.Role, teacherID, schoolID *int64) *store.User {
	s.t.Helper()
	hash, _ := bcrypt.GenerateFromPassword([]byte(testPassword), bcrypt.MinCost)
	u := &store.User{Login: login, Name: login, PasswordHash: string(hash), Roles: roles, TeacherID: teacherID, SchoolID: schoolID, MustChangePassword: mustChange}
	if err := store.CreateUser(context.Background(), s.db.Pool, u); err != nil {
		s.t.Fatal(err)
	}
	return u
}

// teacherUser makes an account for a teacher of the plan with the role.
func (s *site) teacherUser(login string, role saoyue.Role, mustChange bool) (*store.User, store.MarkingAssignment) {
	s.t.Helper()
	as, err := store.ListMarkingAssignments(context.Background(), s.db.Pool, s.seed.SubjectID)
	if err != nil {
		s.t.Fatal(err)
	}
	for _, a := range as {
		if a.Role == role {
			var taken int
			_ = s.db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM users WHERE teacher_id = $1`, a.TeacherID).Scan(&taken)
			if taken > 0 {
				continue
			}
			tid, sid := a.TeacherID, a.SchoolID
			return s.user(login, mustChange, []saoyue.Role{saoyue.RoleMarker}, &tid, &sid), a
		}
	}
	s.t.Fatalf("no free %s in the plan", role)
	return nil, store.MarkingAssignment{}
}

// client signs an account in through the form, as a browser would.
func (s *site) client(login string) *http.Client {
	s.t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if login == "" {
		return c
	}
	csrf := s.signInToken(c)
	resp, err := c.PostForm(s.srv.URL+"/signin", map[string][]string{"login": {login}, "password": {testPassword}, "csrf": {csrf}})
	if err != nil {
		s.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		s.t.Fatalf("sign in %s: %d", login, resp.StatusCode)
	}
	return c
}

func (s *site) signInToken(c *http.Client) string {
	s.t.Helper()
	resp, err := c.Get(s.srv.URL + "/signin")
	if err != nil {
		s.t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return between(string(b), `name="csrf" value="`, `"`)
}

func between(s, a, b string) string {
	i := strings.Index(s, a)
	if i < 0 {
		return ""
	}
	s = s[i+len(a):]
	if j := strings.Index(s, b); j >= 0 {
		return s[:j]
	}
	return s
}

func (s *site) count(sql string, args ...any) int {
	s.t.Helper()
	var n int
	if err := s.db.Pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		s.t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// answerFace draws CJK with the Droid fallback and everything else with
// DejaVu (the fallback font has no Latin digits), or the basic ASCII face
// when the machine has neither.
func answerFace() font.Face {
	load := func(p string) font.Face {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil
		}
		f, err := opentype.Parse(b)
		if err != nil {
			return nil
		}
		face, _ := opentype.NewFace(f, &opentype.FaceOptions{Size: 30, DPI: 72, Hinting: font.HintingFull})
		return face
	}
	cjk := load("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf")
	latin := load("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
	switch {
	case cjk != nil && latin != nil:
		return mixedFace{latin: latin, cjk: cjk}
	case cjk != nil:
		return cjk
	case latin != nil:
		return latin
	}
	return basicfont.Face7x13
}

// mixedFace takes each glyph from the Latin face when it has one.
type mixedFace struct{ latin, cjk font.Face }

func (m mixedFace) pick(r rune) font.Face {
	if _, ok := m.latin.GlyphAdvance(r); ok && r < 0x2e80 {
		return m.latin
	}
	return m.cjk
}
func (m mixedFace) Close() error { return nil }
func (m mixedFace) Glyph(dot fixed.Point26_6, r rune) (image.Rectangle, image.Image, image.Point, fixed.Int26_6, bool) {
	return m.pick(r).Glyph(dot, r)
}
func (m mixedFace) GlyphBounds(r rune) (fixed.Rectangle26_6, fixed.Int26_6, bool) {
	return m.pick(r).GlyphBounds(r)
}
func (m mixedFace) GlyphAdvance(r rune) (fixed.Int26_6, bool) { return m.pick(r).GlyphAdvance(r) }
func (m mixedFace) Kern(r0, r1 rune) fixed.Int26_6            { return 0 }
func (m mixedFace) Metrics() font.Metrics                     { return m.cjk.Metrics() }

var answerLines = [][]string{
	{"解：设小明有 x 个苹果，", "则 2x + 3 = 15，", "x = 6。答：小明有 6 个苹果。"},
	{"解：长方形面积 = 长 × 宽", "= 12 × 8 = 96（平方厘米）", "答：面积是 96 平方厘米。"},
	{"3/4 + 1/8 = 6/8 + 1/8 = 7/8", "所以一共用去 7/8 千克。"},
	{"解：路程 = 速度 × 时间", "60 × 2.5 = 150（千米）", "答：两地相距 150 千米。"},
}

// answerImage draws a scanned answer box: ruled paper and a few lines of
// pencil writing, different per answer.
func answerImage(face font.Face, i int) []byte {
	const w, h = 1100, 300
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), &image.Uniform{color.RGBA{250, 250, 247, 255}}, image.Point{}, draw.Src)
	for y := 70; y < h; y += 60 {
		for x := 20; x < w-20; x++ {
			img.Set(x, y, color.RGBA{200, 205, 215, 255})
		}
	}
	for x := 0; x < w; x++ {
		img.Set(x, 0, color.Black)
		img.Set(x, h-1, color.Black)
	}
	d := &font.Drawer{Dst: img, Src: &image.Uniform{color.RGBA{45, 50, 70, 255}}, Face: face}
	d.Dot = fixed.P(30, 45)
	d.DrawString(fmt.Sprintf("17. (答卷 %03d)", i+1))
	for j, line := range answerLines[i%len(answerLines)] {
		d.Dot = fixed.P(60+(i*7)%40, 110+j*60)
		d.DrawString(line)
	}
	var buf bytes.Buffer
	_ = jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85})
	return buf.Bytes()
}

// testMinIO is the MinIO that make test starts.
func testMinIO(t testing.TB) blob.Store {
	t.Helper()
	return blobtest.Shared(t)
}
