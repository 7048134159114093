package main

import (
	"context"
	"errors"
	"fmt"
	"math"

	"golang.org/x/crypto/bcrypt"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/grading/marking"
	"github.com/saoyue/saoyue/store"
)

// demoPassword is the password of the demo's accounts: a demo is for
// looking around, on loopback, with data that is not real.
const demoPassword = "saoyue-demo"

// demoTeam is who the demo hands the marking to: the teacher and the
// group leader it prints accounts for, both in the first group.
type demoTeam struct {
	group          store.MarkingGroup
	teacher, lead  store.Teacher
	problemFlagged bool
}

// plan assigns every teacher of the subject to a group and prints the
// plan's problems. The centre would do this on 阅卷安排; the demo has too
// few teachers for `marking plan --auto` (two per group), so it places
// them itself, keeping the cross-school rule.
func (d *demo) plan(ctx context.Context) error {
	groups, err := store.ListMarkingGroups(ctx, d.db.Pool, d.subject.ID)
	if err != nil {
		return err
	}
	teachers, err := store.ListSubjectTeachers(ctx, d.db.Pool, d.subject.ID)
	if err != nil {
		return err
	}
	counts, err := store.CountGroupAnswers(ctx, d.db.Pool, d.subject.ID)
	if err != nil {
		return err
	}
	answered := map[int64]bool{}
	for _, c := range counts {
		answered[c.SchoolID] = answered[c.SchoolID] || c.Answers > 0
	}
	if len(groups) == 0 || len(teachers) < 2 {
		return fmt.Errorf("the demo subject has %d groups and %d teachers: nothing to plan", len(groups), len(teachers))
	}
	as := demoAssignments(groups, teachers, answered)
	for _, a := range as {
		if _, err := marking.Assign(ctx, d.db, d.subject.ID, a.TeacherID, a.GroupID, a.Role, demoActor); err != nil {
			return err
		}
	}
	d.team = demoTeam{group: groups[0]}
	for _, t := range teachers {
		switch t.ID {
		case as[0].TeacherID:
			d.team.lead = t
		case as[1].TeacherID:
			d.team.teacher = t
		}
	}
	p, err := marking.LoadPlan(ctx, d.db, d.subject.ID)
	if err != nil {
		return err
	}
	fmt.Fprintf(d.out, "阅卷安排：%d 位教师分到 %d 个题组，%d 个问题，%d 个提醒\n", len(as), len(groups), len(p.Problems), len(p.Warnings))
	for _, pr := range p.Problems {
		fmt.Fprintf(d.out, "  问题：%s\n", pr)
	}
	return nil
}

// demoAssignments puts every teacher on a group. The first group gets the
// demo's leader and teacher, from schools whose answers it does not mark
// where there are such; the other groups get a pair of teachers of two
// schools (each marks the other's answers), or, when pairs run out, one
// teacher of a school with no answers. Teachers left over join the
// groups in turn. The first of each group, and a second one of another
// school, lead it (as grading's own plans do). The demo's leader and
// teacher are the first two assignments.
func demoAssignments(groups []store.MarkingGroup, teachers []store.Teacher, answered map[int64]bool) []store.MarkingAssignment {
	var free, bound []store.Teacher
	for _, t := range interleaveSchools(teachers) {
		if answered[t.SchoolID] {
			bound = append(bound, t)
		} else {
			free = append(free, t)
		}
	}
	// take removes the first teacher of list not of school not (0: any).
	take := func(list *[]store.Teacher, not int64) (store.Teacher, bool) {
		for i, t := range *list {
			if t.SchoolID != not {
				*list = append((*list)[:i:i], (*list)[i+1:]...)
				return t, true
			}
		}
		return store.Teacher{}, false
	}
	takeAny := func(not int64) (store.Teacher, bool) {
		if t, ok := take(&free, not); ok {
			return t, true
		}
		return take(&bound, not)
	}
	var as []store.MarkingAssignment
	add := func(g store.MarkingGroup, t store.Teacher, role saoyue.Role) {
		as = append(as, store.MarkingAssignment{TeacherID: t.ID, GroupID: g.ID, Role: role, SchoolID: t.SchoolID})
	}
	lead, _ := takeAny(0)
	add(groups[0], lead, saoyue.RoleLeader)
	if t, ok := takeAny(lead.SchoolID); ok {
		add(groups[0], t, saoyue.RoleMarker)
	} else if t, ok := takeAny(0); ok {
		add(groups[0], t, saoyue.RoleMarker)
	}
	for _, g := range groups[1:] {
		if len(bound) >= 2 {
			a, _ := take(&bound, 0)
			if b, ok := take(&bound, a.SchoolID); ok {
				add(g, a, saoyue.RoleLeader)
				add(g, b, saoyue.RoleLeader)
				continue
			}
			bound = append([]store.Teacher{a}, bound...)
		}
		if t, ok := takeAny(0); ok {
			add(g, t, saoyue.RoleLeader)
		}
	}
	for i, t := range append(free, bound...) {
		g := groups[0]
		if len(groups) > 1 {
			g = groups[1+i%(len(groups)-1)]
		}
		add(g, t, saoyue.RoleMarker)
	}
	return as
}

// interleaveSchools orders teachers one school after another (the first of
// each school, then the second ...), so that neighbours are of different
// schools.
func interleaveSchools(ts []store.Teacher) []store.Teacher {
	var schools []int64
	by := map[int64][]store.Teacher{}
	for _, t := range ts {
		if by[t.SchoolID] == nil {
			schools = append(schools, t.SchoolID)
		}
		by[t.SchoolID] = append(by[t.SchoolID], t)
	}
	var out []store.Teacher
	for k := 0; len(out) < len(ts); k++ {
		for _, s := range schools {
			if k < len(by[s]) {
				out = append(out, by[s][k])
			}
		}
	}
	return out
}

// mark plays the demo teacher's first minutes: two answers marked and one
// sent to the leader as a problem (问题卷), so the leader finds work on
// /leader. An earlier run's marks are left as they are.
func (d *demo) mark(ctx context.Context) error {
	// No quality-control copies in the demo's handful of marks (Rand is
	// in [0,1): just under 1 draws none and shuffles nothing).
	e := marking.NewEngine(d.db, marking.MarkingOptions{Rand: func() float64 { return 0.999999 }})
	m, err := e.Marker(ctx, d.team.teacher.ID, d.subject.ID)
	if err != nil {
		return err
	}
	if h, err := e.History(ctx, m, 1); err != nil || len(h) > 0 {
		return err
	}
	next, err := e.Next(ctx, m, 3)
	if err != nil {
		return err
	}
	for i, t := range next.Tasks {
		if i == len(next.Tasks)-1 && i > 0 {
			if err := e.Flag(ctx, m, t.ID, "illegible", ""); err != nil {
				return err
			}
			d.team.problemFlagged = true
			continue
		}
		var scores []float64
		for _, p := range next.Parts {
			scores = append(scores, math.Floor(p.Max*0.6/p.Step)*p.Step)
		}
		if _, err := e.Submit(ctx, m, t.ID, marking.Submission{Scores: scores, DurationMS: 8000}); err != nil {
			return err
		}
	}
	return nil
}

// demoAccount is an account the demo prints.
type demoAccount struct {
	login, name, what, page string
	roles                   []saoyue.Role
	school, teacher         *int64
}

// accounts makes (or resets) the accounts a person needs to look around,
// all with the demo password, and says what waits for each.
func (d *demo) accounts(ctx context.Context) error {
	hash, err := bcrypt.GenerateFromPassword([]byte(demoPassword), bcrypt.DefaultCost)
	if err != nil {
		return err
	}
	tech := d.batches[0].SchoolID
	open, err := store.Exceptions(ctx, d.db.Pool, store.ExceptionFilter{ExamID: d.exam.ID, SchoolID: tech, Status: saoyue.ExceptionOpen})
	if err != nil {
		return err
	}
	g, tm, ld := d.team.group, d.team.teacher, d.team.lead
	work, err := store.CountMarkerWork(ctx, d.db.Pool, tm.ID, g.ID, tm.SchoolID)
	if err != nil {
		return err
	}
	problems := "题组进度与质量"
	if d.team.problemFlagged {
		problems = "1 份问题卷待处理，" + problems
	}
	list := []demoAccount{
		{login: "centre", name: "县监测中心", roles: []saoyue.Role{saoyue.RoleCentre}, page: "centre", what: "全县进度"},
		{login: "approver", name: "审核人", roles: []saoyue.Role{saoyue.RoleApprover}, page: "approvals", what: "待审批的更正"},
		{login: "tech", name: "学校考务技术员", roles: []saoyue.Role{saoyue.RoleTechnician}, school: &tech, page: "tech/exceptions",
			what: fmt.Sprintf("%s：%d 个异常待处理", d.school[tech].Name, len(open))},
		{login: "teacher", name: tm.Name, roles: []saoyue.Role{saoyue.RoleMarker}, school: &tm.SchoolID, teacher: &tm.ID, page: "mark",
			what: fmt.Sprintf("%s，第 %s 题阅卷教师：%d 份答卷待评", d.school[tm.SchoolID].Name, g.Code, work.Available)},
		{login: "leader", name: ld.Name, roles: []saoyue.Role{saoyue.RoleMarker}, school: &ld.SchoolID, teacher: &ld.ID, page: "leader",
			what: fmt.Sprintf("%s，第 %s 题题组长：%s", d.school[ld.SchoolID].Name, g.Code, problems)},
	}
	base := d.url
	if base == "" {
		base = "（saoyue serve 的地址）/"
	}
	fmt.Fprintf(d.out, "\n登录密码均为 %q：\n", demoPassword)
	for _, a := range list {
		if err := demoUser(ctx, d.db, a, string(hash)); err != nil {
			return err
		}
		fmt.Fprintf(d.out, "  %-9s %s  %s%s  %s\n", a.login, pad(a.name, 14), base, a.page, a.what)
	}
	return nil
}

// demoUser creates the account, or gives an earlier run's its password back.
func demoUser(ctx context.Context, db *store.DB, a demoAccount, hash string) error {
	u, err := store.UserByLogin(ctx, db.Pool, a.login)
	if errors.Is(err, store.ErrUserNotFound) {
		u = &store.User{Login: a.login, Name: a.name, PasswordHash: hash, Roles: a.roles, SchoolID: a.school, TeacherID: a.teacher}
		return store.CreateUser(ctx, db.Pool, u)
	}
	if err != nil {
		return err
	}
	return store.SetUserPassword(ctx, db.Pool, u.ID, hash, false)
}
