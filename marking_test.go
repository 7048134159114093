package saoyue_test

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/saoyue/saoyue"
)

// The typed values are the ones the schema's CHECK constraints allow, so a
// value renamed on one side only fails here, not in a marker's browser.
func TestMarkingEnumsMatchSchema(t *testing.T) {
	init, err := os.ReadFile("store/migrations/0001_init.up.sql")
	if err != nil {
		t.Fatal(err)
	}
	marking, err := os.ReadFile("store/migrations/0003_marking.up.sql")
	if err != nil {
		t.Fatal(err)
	}
	kinds := checkValues(t, string(init), `kind\s+text NOT NULL DEFAULT 'normal' CHECK \(kind IN \(([^)]*)\)\)`)
	var want []string
	for _, k := range []saoyue.MarkKind{saoyue.MarkNormal, saoyue.MarkRemark, saoyue.MarkControl, saoyue.MarkArbitration, saoyue.MarkLeader} {
		want = append(want, string(k))
	}
	if !slices.Equal(kinds, want) {
		t.Errorf("marks.kind allows %v, saoyue.MarkKind has %v", kinds, want)
	}
	reasons := checkValues(t, string(marking), `reason\s+text NOT NULL CHECK \(reason IN \(([^)]*)\)\)`)
	want = want[:0]
	for _, r := range saoyue.ProblemReasons {
		want = append(want, string(r))
		if !r.Valid() || r.Name() == string(r) {
			t.Errorf("reason %s: valid %v, name %q", r, r.Valid(), r.Name())
		}
	}
	if !slices.Equal(reasons, want) {
		t.Errorf("marking_problems.reason allows %v, saoyue.ProblemReasons has %v", reasons, want)
	}
	if saoyue.ProblemReason("lost").Valid() {
		t.Error("an unknown reason is valid")
	}
	if got := saoyue.ProblemReasonList(); !strings.HasPrefix(got, "空白卷（blank）、") || !strings.HasSuffix(got, "其他（other）") {
		t.Errorf("reason list %q", got)
	}
}

func checkValues(t *testing.T, sql, pattern string) []string {
	t.Helper()
	m := regexp.MustCompile(pattern).FindStringSubmatch(sql)
	if m == nil {
		t.Fatalf("no CHECK matching %s", pattern)
	}
	var out []string
	for _, v := range strings.Split(m[1], ",") {
		out = append(out, strings.Trim(strings.TrimSpace(v), "'"))
	}
	return out
}
