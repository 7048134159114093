package saoyue

// Role is what an account may do, and what a teacher does on a question
// group of the marking plan (only marker and leader there). It is stored as
// users.roles and marking_assignments.role.
type Role string

// The roles. A teacher account is a marker; whether they lead a group is
// decided by the marking plan: the "leader" account role only lets an
// account without a plan entry (a subject head) reach the leader page.
const (
	RoleMarker     Role = "marker"     // 阅卷教师
	RoleLeader     Role = "leader"     // 题组长: also marks; problems, arbitration, quality control
	RoleTechnician Role = "technician" // 扫描技术员 of one school
	RoleCentre     Role = "centre"     // 县监测中心
	RoleApprover   Role = "approver"   // 审核人: approves corrections and score changes
)

// Roles lists every account role, the centre's first.
var Roles = []Role{RoleCentre, RoleApprover, RoleTechnician, RoleLeader, RoleMarker}

var roleNames = map[Role]string{
	RoleMarker: "阅卷教师", RoleLeader: "题组长", RoleTechnician: "扫描技术员",
	RoleCentre: "监测中心", RoleApprover: "审核人",
}

// Name is the role's Chinese name, as users see it.
func (r Role) Name() string {
	if n, ok := roleNames[r]; ok {
		return n
	}
	return string(r)
}

// Valid reports whether r is one of the roles.
func (r Role) Valid() bool {
	_, ok := roleNames[r]
	return ok
}
