package store

import (
	"testing"

	"github.com/saoyue/saoyue/reading"
)

func TestAttachRefusal(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name  string
		owner CardOwner
		bag   int64
		kind  reading.Kind // "" = may attach
		want  string
	}{
		{"own school", CardOwner{SchoolID: 1, SchoolCode: "0101"}, 1, "", ""},
		{"another school", CardOwner{SchoolID: 2, SchoolCode: "0102"}, 1, reading.ExcWrongSchool, "考号 2101020305 不是本校（0101）的考生，是学校 0102 的考生"},
		{"another school, withdrawn too", CardOwner{SchoolID: 2, SchoolCode: "0102", Withdrawn: true}, 1, reading.ExcWrongSchool, ""},
		{"withdrawn", CardOwner{SchoolID: 1, SchoolCode: "0101", Withdrawn: true}, 1, reading.ExcWithdrawn, "考号 2101020305 的考生已退出，答题卡不计分"},
	} {
		e := AttachRefusal("2101020305", c.owner, c.bag, "0101")
		switch {
		case c.kind == "" && e != nil:
			t.Errorf("%s: refused %+v", c.name, e)
		case c.kind != "" && (e == nil || e.Kind != c.kind):
			t.Errorf("%s: %+v, want kind %s", c.name, e, c.kind)
		case c.want != "" && e.Reason != c.want:
			t.Errorf("%s: reason %q, want %q", c.name, e.Reason, c.want)
		}
	}
}
