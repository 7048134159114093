package web

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/store"
)

// TestPageRoles: every page answers its roles and refuses the others;
// strangers are sent to sign in, and the JSON answers 401.
func TestPageRoles(t *testing.T) {
	t.Parallel()
	s := newSite(t, "34")
	_, excs := s.seedExceptions()
	e, err := store.GetException(context.Background(), s.db.Pool, excs[0], false)
	if err != nil {
		t.Fatal(err)
	}
	school := s.seed.Schools[0]
	other := s.seed.Schools[1]
	s.teacherUser("r_marker", "marker", false)
	s.teacherUser("r_leader", "leader", false)
	s.user("r_tech", false, []saoyue.Role{saoyue.RoleTechnician}, nil, &school)
	s.user("r_tech2", false, []saoyue.Role{saoyue.RoleTechnician}, nil, &other)
	s.user("r_centre", false, []saoyue.Role{saoyue.RoleCentre}, nil, nil)
	s.user("r_approver", false, []saoyue.Role{saoyue.RoleApprover}, nil, nil)
	image := fmt.Sprintf("/pages/%d/image", *e.PageID)

	pages := []string{"/mark", "/leader", "/tech", "/tech/exceptions", "/approvals", "/centre", "/exams", image, "/api/centre/dashboard",
		"/centre/plan", "/centre/exceptions", "/centre/exceptions.csv", "/centre/accounts", "/centre/stages"}
	allowed := map[string][]string{
		"r_marker":   {"/mark"},
		"r_leader":   {"/mark", "/leader"},
		"r_tech":     {"/tech", "/tech/exceptions", image},
		"r_tech2":    {"/tech", "/tech/exceptions"},
		"r_centre":   {"/centre", "/exams", "/tech/exceptions", image, "/api/centre/dashboard", "/centre/plan", "/centre/exceptions", "/centre/exceptions.csv", "/centre/accounts", "/centre/stages"},
		"r_approver": {"/approvals", image},
	}
	for login, ok := range allowed {
		c := s.client(login)
		for _, p := range pages {
			resp, err := c.Get(s.srv.URL + p)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			want := http.StatusForbidden
			for _, a := range ok {
				if a == p {
					want = http.StatusOK
				}
			}
			if resp.StatusCode != want {
				t.Errorf("%s GET %s: %d, want %d", login, p, resp.StatusCode, want)
			}
			// A marker's pages never name a school or a candidate.
			if (login == "r_marker" || login == "r_leader") && resp.StatusCode == 200 {
				for _, bad := range []string{"学校34", "学生", "340101"} {
					if strings.Contains(string(body), bad) {
						t.Errorf("%s GET %s shows %q", login, p, bad)
					}
				}
			}
		}
	}
	anon := s.client("")
	for _, p := range pages {
		resp, err := anon.Get(s.srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		want := http.StatusSeeOther
		if strings.HasPrefix(p, "/api/") {
			want = http.StatusUnauthorized
		}
		if resp.StatusCode != want {
			t.Errorf("anonymous GET %s: %d, want %d", p, resp.StatusCode, want)
		}
	}
	// The marking API refuses a change without the CSRF token.
	c := s.client("r_marker")
	resp, err := c.Post(s.srv.URL+"/api/marking/tasks/x/flag", "application/json", strings.NewReader(`{"reason":"blank"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("flag without CSRF token: %d, want 403", resp.StatusCode)
	}
}

// TestSignInLimits: wrong passwords lock the account after five tries;
// the form refuses a post without its token.
func TestSignInLimits(t *testing.T) {
	t.Parallel()
	s := newSite(t, "35")
	s.user("locked", false, []saoyue.Role{saoyue.RoleCentre}, nil, nil)
	c := s.client("")
	post := func(pw, csrf string) int {
		resp, err := c.PostForm(s.srv.URL+"/signin", url.Values{"login": {"locked"}, "password": {pw}, "csrf": {csrf}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if st := post(testPassword, "forged"); st != http.StatusForbidden {
		t.Errorf("sign-in with a forged token: %d, want 403", st)
	}
	for i := 0; i < 5; i++ {
		if st := post("wrong", s.signInToken(c)); st != http.StatusUnauthorized {
			t.Errorf("wrong password %d: %d, want 401", i, st)
		}
	}
	if st := post(testPassword, s.signInToken(c)); st != http.StatusUnauthorized {
		t.Errorf("right password on a locked account: %d, want 401 like a wrong one", st)
	}
}
