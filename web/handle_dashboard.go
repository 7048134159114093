package web

import (
	"net/http"
	"time"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/grading/marking"
	"github.com/saoyue/saoyue/store"
)

// paceWindow is how far back the finish estimate looks for the pace.
const paceWindow = 10 * time.Minute

type dashGroup struct {
	Subject string `json:"subject"`
	store.GroupProgress
	Remaining int        `json:"remaining"`
	PerMinute float64    `json:"per_minute"`
	FinishAt  *time.Time `json:"finish_at"` // nil: no pace yet, or done
	Percent   float64    `json:"percent"`
}

type dashMarker struct {
	Group string `json:"group"`
	marking.MarkerQuality
}

type dashboard struct {
	Exam       string               `json:"exam"`
	ExamName   string               `json:"exam_name"`
	Exams      []string             `json:"exams"`
	At         time.Time            `json:"at"`
	Scan       []store.ScanProgress `json:"scan"`
	Groups     []dashGroup          `json:"groups"`
	Markers    []dashMarker         `json:"markers"`
	Exceptions int                  `json:"exceptions"`
	Pending    int                  `json:"pending_approval"`
	Marked     int                  `json:"marked"`
	Tasks      int                  `json:"tasks"`
	Pages      int                  `json:"pages"`
	Alerts     int                  `json:"alerts"`
}

// buildDashboard gathers the centre's figures for an exam (the newest
// exam in progress when code is empty).
func (s *Server) buildDashboard(r *http.Request, code string) (*dashboard, error) {
	ctx := r.Context()
	subs, err := store.ActiveSubjects(ctx, s.DB.Pool)
	if err != nil {
		return nil, err
	}
	d := &dashboard{At: time.Now(), Scan: []store.ScanProgress{}, Groups: []dashGroup{}, Markers: []dashMarker{}, Exams: []string{}}
	for _, a := range subs {
		if len(d.Exams) == 0 || d.Exams[len(d.Exams)-1] != a.ExamCode {
			d.Exams = append(d.Exams, a.ExamCode)
		}
		if code == "" {
			code = a.ExamCode
		}
	}
	var examID int64
	since := time.Now().Add(-paceWindow)
	for _, a := range subs {
		if a.ExamCode != code {
			continue
		}
		examID, d.Exam, d.ExamName = a.ExamID, a.ExamCode, a.ExamName
		ps, err := store.ListGroupProgress(ctx, s.DB.Pool, a.SubjectID)
		if err != nil {
			return nil, err
		}
		recent, err := store.RecentMarks(ctx, s.DB.Pool, a.SubjectID, since)
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			g := dashGroup{Subject: a.SubjectName, GroupProgress: p, Remaining: p.Tasks - p.Marked}
			if p.Tasks > 0 {
				g.Percent = float64(p.Marked) * 100 / float64(p.Tasks)
			}
			g.PerMinute = float64(recent[p.GroupID]) / paceWindow.Minutes()
			if g.PerMinute > 0 && g.Remaining > 0 {
				t := time.Now().Add(time.Duration(float64(g.Remaining) / g.PerMinute * float64(time.Minute))).Truncate(time.Minute)
				g.FinishAt = &t
			}
			d.Marked += p.Marked
			d.Tasks += p.Tasks
			d.Groups = append(d.Groups, g)
			q, err := s.engine().GroupQuality(ctx, p.GroupID)
			if err != nil {
				return nil, err
			}
			for _, m := range q.Markers {
				d.Markers = append(d.Markers, dashMarker{Group: p.Code, MarkerQuality: m})
				d.Alerts += len(m.Alerts)
			}
		}
	}
	if examID == 0 {
		return d, nil
	}
	if d.Scan, err = store.ExamScanProgress(ctx, s.DB.Pool, examID); err != nil {
		return nil, err
	}
	for _, p := range d.Scan {
		d.Pages += p.Pages
	}
	open, err := store.Exceptions(ctx, s.DB.Pool, store.ExceptionFilter{ExamID: examID, Status: saoyue.ExceptionUnresolved})
	if err != nil {
		return nil, err
	}
	for _, e := range open {
		if e.Status == saoyue.ExceptionPendingApproval {
			d.Pending++
		} else {
			d.Exceptions++
		}
	}
	return d, nil
}

// handleDashboardPage: GET /centre, the centre's live view.
func (s *Server) handleDashboardPage(w http.ResponseWriter, r *http.Request) {
	sess := sessionOf(r)
	d, err := s.buildDashboard(r, r.URL.Query().Get("exam"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.render(w, "dashboard.html", pageData{Title: "监测中心", Nav: "centre", Session: sess, Data: d})
}

// handleDashboardJSON: GET /api/centre/dashboard?exam=21, what the page
// polls to stay live.
func (s *Server) handleDashboardJSON(w http.ResponseWriter, r *http.Request) {
	d, err := s.buildDashboard(r, r.URL.Query().Get("exam"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}
