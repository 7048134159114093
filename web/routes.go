package web

import (
	"fmt"
	"net/http"
	"slices"

	"github.com/saoyue/saoyue"
)

// The route table: every route the server answers, each with who may call
// it. A route is registered only through this table, and only with a
// declared access; the middleware (guard.wrap) enforces it before the
// handler runs, so no handler checks sign-in, roles or CSRF itself. What
// depends on the data ("this task is yours", "this page is of your
// school", "not your own school's answers") stays in the handler or the
// engine. routes_test.go walks the table for every role: a route added here
// without an entry in its expectations fails that test.

// access says how a route's caller is identified and what it must be.
type access int

const (
	undeclared    access = iota // the zero value: refused at registration
	accessPublic                // anyone, signed in or not
	accessAccount               // any signed-in account, even one that must still change its one-time password
	accessPage                  // a signed-in page: a stranger is sent to sign in, a wrong role gets a 403 page
	accessAPI                   // a signed-in JSON call: 401 and 403 as JSON
	accessScan                  // a scan station's technician token (Authorization: Bearer)
	accessTool                  // a page of a third-party tool (asynqmon) whose script sends no CSRF token
)

// guard is a route's declaration: the access and the roles of which the
// account must hold one (none: any signed-in account).
type guard struct {
	access access
	roles  []saoyue.Role
}

// public routes answer anyone: sign-in, health, static files.
func public() guard { return guard{access: accessPublic} }

// account routes answer any signed-in account, before its first password
// change too: the password page.
func account() guard { return guard{access: accessAccount} }

// page routes are HTML pages and forms for the roles (none: any account).
func page(roles ...saoyue.Role) guard { return guard{access: accessPage, roles: roles} }

// api routes are JSON calls of the pages' scripts for the roles.
func api(roles ...saoyue.Role) guard { return guard{access: accessAPI, roles: roles} }

// scan routes are the scan stations' API, authenticated by token.
func scan() guard { return guard{access: accessScan} }

// tool routes serve a third-party tool's pages and API to the roles like a
// page, but without our CSRF token, which the tool's script cannot send;
// the cross-origin check and SameSite cookies still refuse a foreign site.
func tool(roles ...saoyue.Role) guard { return guard{access: accessTool, roles: roles} }

// route is one entry of the table.
type route struct {
	pattern string // a net/http pattern: "METHOD /path/{wildcard}"
	guard   guard
	handler http.HandlerFunc
}

// Roles as the table reads them.
const (
	centre     = saoyue.RoleCentre
	approver   = saoyue.RoleApprover
	technician = saoyue.RoleTechnician
	marker     = saoyue.RoleMarker
	leader     = saoyue.RoleLeader
)

// routes is the table, in sections by who calls them.
func (s *Server) routes() []route {
	return slices.Concat(s.commonRoutes(), s.markingRoutes(), s.schoolRoutes(), s.centreRoutes(), s.opsRoutes(), s.scanRoutes())
}

// commonRoutes are for anyone or for every account.
func (s *Server) commonRoutes() []route {
	return []route{
		{"GET /static/", public(), staticHandler().ServeHTTP},
		{"GET /healthz", public(), s.handleHealth},
		{"GET /readyz", public(), s.handleReady},
		{"GET /signin", public(), s.handleSignInPage},
		{"POST /signin", public(), s.handleSignIn},
		{"POST /signout", public(), s.handleSignOut}, // ends the session only with its CSRF token

		// Every account.
		{"GET /{$}", page(), s.handleHome},
		{"GET /password", account(), s.handlePasswordPage},
		{"POST /password", account(), s.handlePassword},
	}
}

// markingRoutes are the markers' and leaders' pages and API.
func (s *Server) markingRoutes() []route {
	return []route{
		{"GET /mark", page(marker, leader), s.handleMarkPage},
		{"GET /leader", page(marker, leader), s.handleLeaderPage},
		{"GET /api/marking/next", api(marker, leader), s.handleMarkingNext},
		{"POST /api/marking/tasks/{task}/mark", api(marker, leader), s.handleMarkingSubmit},
		{"PUT /api/marking/tasks/{task}/mark", api(marker, leader), s.handleMarkingRevise},
		{"POST /api/marking/tasks/{task}/flag", api(marker, leader), s.handleMarkingFlag},
		{"GET /api/marking/tasks/{task}/crop", api(marker, leader), s.handleMarkingCrop},
		{"GET /api/marking/history", api(marker, leader), s.handleMarkingHistory},
		{"GET /api/marking/progress", api(marker, leader), s.handleMarkingProgress},
		// The leader of a group, as the marking plan says (checked by the engine).
		{"GET /api/leader/problems", api(marker, leader), s.handleLeaderProblems},
		{"POST /api/leader/problems/{problem}/resolve", api(marker, leader), s.handleLeaderResolve},
		{"GET /api/leader/markers/{teacher}/marks", api(marker, leader), s.handleLeaderSample},
		{"POST /api/leader/tasks/{task}/remark", api(marker, leader), s.handleLeaderRemark},
		{"POST /api/leader/tasks/{task}/return", api(marker, leader), s.handleLeaderReturn},
		{"POST /api/leader/tasks/{task}/control", api(marker, leader), s.handleLeaderControl},
		{"GET /api/leader/quality", api(marker, leader), s.handleLeaderQuality},
	}
}

// schoolRoutes are the technicians' (their school's only), the approvers'
// and the reports.
func (s *Server) schoolRoutes() []route {
	return []route{
		{"GET /tech", page(technician), s.handleTechPage},
		{"GET /tech/exceptions", page(technician, centre), s.handleExceptionPage},
		{"POST /tech/exceptions/{id}/resolve", page(technician, centre), s.handleExceptionResolve},
		{"GET /pages/{id}/image", page(technician, centre, approver), s.handlePageImage},
		// Reports: a technician sees their school's once scores are released.
		{"GET /exams/{code}/report", page(centre, approver, technician), s.handleReportPage},
		{"GET /exams/{code}/report.xlsx", page(centre, approver, technician), s.handleReportXLSX},
		{"GET /exams/{code}/report.csv", page(centre, approver, technician), s.handleReportCSV},
		{"GET /exams/{code}/report.pdf", page(centre, approver, technician), s.handleReportPDF},
		{"GET /exams/{code}/progress.xlsx", page(centre, approver), s.handleProgressXLSX},

		// Approvers.
		{"GET /approvals", page(approver), s.handleApprovalsPage},
		{"POST /approvals/{id}", page(approver), s.handleApprovalDecide},
		{"POST /approvals/scores/{id}", page(approver), s.handleScoreChangeDecide},
	}
}

// centreRoutes are the county centre's pages and API.
func (s *Server) centreRoutes() []route {
	return []route{
		{"GET /exams", page(centre), s.handleIndex},
		{"GET /centre", page(centre), s.handleDashboardPage},
		{"GET /api/centre/dashboard", api(centre), s.handleDashboardJSON},
		{"GET /centre/stages", page(centre), s.handleStagesPage},
		{"POST /centre/stages/advance", page(centre), s.handleStagesAdvance},
		{"GET /centre/plan", page(centre), s.handlePlanPage},
		{"POST /centre/plan/assign", page(centre), s.handlePlanAssign},
		{"POST /centre/plan/remove", page(centre), s.handlePlanRemove},
		{"POST /centre/plan/settings", page(centre), s.handlePlanSettings},
		{"POST /centre/plan/auto", page(centre), s.handlePlanAuto},
		{"GET /centre/exceptions", page(centre), s.handleRegisterPage},
		{"GET /centre/exceptions.csv", page(centre), s.handleRegisterCSV},
		{"GET /centre/accounts", page(centre), s.handleAccountsPage},
		{"POST /centre/accounts/{id}/{action}", page(centre), s.handleAccountAction},
		{"GET /api/centre/exams/{exam}/subjects/{subject}/plan", api(centre), s.handleCentrePlan},
		{"POST /api/centre/exams/{exam}/subjects/{subject}/plan", api(centre), s.handleCentrePlanGenerate},
		{"PUT /api/centre/exams/{exam}/subjects/{subject}/plan/teachers/{teacher}", api(centre), s.handleCentrePlanAssign},
		{"DELETE /api/centre/exams/{exam}/subjects/{subject}/plan/teachers/{teacher}", api(centre), s.handleCentrePlanUnassign},
		{"POST /api/centre/exams/{exam}/subjects/{subject}/tasks", api(centre), s.handleCentreCreateTasks},
		{"GET /api/centre/exams/{exam}/subjects/{subject}/progress", api(centre), s.handleCentreProgress},
		{"GET /api/centre/groups/{group}/quality", api(centre), s.handleCentreQuality},
		{"PUT /api/centre/groups/{group}/settings", api(centre), s.handleCentreGroupSettings},
	}
}

// opsRoutes are for operations: metrics, and the queue monitor under
// /centre/queue/ as page(centre). They are declared here like any other
// route, each with its row in routes_test.go.
func (s *Server) opsRoutes() []route {
	return []route{
		{"GET /metrics", public(), s.handleMetrics}, // counts only, no person: open like /healthz
		{"GET " + QueueDashboardPath, tool(centre), s.handleQueueRedirect},
		{"GET " + QueueDashboardPath + "/", tool(centre), s.handleQueueDashboard},
		{"POST " + QueueDashboardPath + "/", tool(centre), s.handleQueueDashboard},
		{"DELETE " + QueueDashboardPath + "/", tool(centre), s.handleQueueDashboard},
	}
}

// scanRoutes are the scan stations' API.
func (s *Server) scanRoutes() []route {
	return []route{
		{"POST /api/v1/batches", scan(), s.handleScanOpenBatch},
		{"GET /api/v1/batches/{id}", scan(), s.handleScanBatch},
		{"POST /api/v1/batches/{id}/pages", scan(), s.handleScanUpload},
		{"GET /api/v1/pages/{sha256}", scan(), s.handleScanPage}, // HEAD too
	}
}

// mux registers the table; a route without a declared access stops the
// start, so it can never be served unguarded.
func (s *Server) mux(table []route) *http.ServeMux {
	mux := http.NewServeMux()
	for _, rt := range table {
		if rt.guard.access == undeclared || rt.handler == nil {
			panic(fmt.Sprintf("web: route %q declares no access", rt.pattern))
		}
		mux.Handle(rt.pattern, s.guarded(rt.guard, rt.handler))
	}
	return mux
}
