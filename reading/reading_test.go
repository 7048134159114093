package reading

import (
	"encoding/json"
	"testing"
	"unicode"
)

// The stored reading is read back by JSON name (the exception view, and
// PostgreSQL's jsonb queries over read_results.result): its names are the
// contract with every reading already stored.
func TestResultJSONNames(t *testing.T) {
	r := Result{File: "a.jpg", Template: "math-1", Page: 1, Rotation: 180, Width: 10, Height: 20,
		ExamNo:     &ExamNo{Barcode: "1", Grid: "1", Value: "1", Verdict: VerdictAgree, Box: []float64{1, 2, 3, 4}},
		Absent:     &Mark{Marked: true, State: StateMarked, Fill: 0.9},
		Items:      []Item{{Number: 3, Chosen: []string{"B"}, Status: StatusOK, Options: []Option{{Label: "B", State: StateMarked, Margin: 0.5}}}},
		Crops:      []Crop{{Group: "g1", JPEG: []byte{1}}},
		Exceptions: []Exception{{Kind: ExcDoubtful, Item: 3, Reason: "x"}},
	}
	b, err := json.Marshal(&r)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	item := m["items"].([]any)[0].(map[string]any)
	opt := item["options"].([]any)[0].(map[string]any)
	exc := m["exceptions"].([]any)[0].(map[string]any)
	en := m["exam_no"].(map[string]any)
	tests := []struct {
		name string
		got  any
		want any
	}{
		{"template", m["template"], "math-1"},
		{"page", m["page"], 1.0},
		{"rotation", m["rotation"], 180.0},
		{"items[].item", item["item"], 3.0},
		{"items[].status", item["status"], "ok"},
		{"items[].chosen", item["chosen"].([]any)[0], "B"},
		{"options[].state", opt["state"], "marked"},
		{"options[].margin is not stored", opt["Margin"], nil},
		{"exam_no.verdict", en["verdict"], "agree"},
		{"exam_no.value", en["value"], "1"},
		{"absent.marked", m["absent"].(map[string]any)["marked"], true},
		{"exceptions[].kind", exc["kind"], "doubtful"},
		{"crops[].jpeg is not stored", m["crops"].([]any)[0].(map[string]any)["JPEG"], nil},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("%s = %v, want %v", tc.name, tc.got, tc.want)
		}
	}
	var back Result
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Items[0].Status != StatusOK || back.ExamNo.Verdict != VerdictAgree || back.Exceptions[0].Kind != ExcDoubtful {
		t.Errorf("round trip: %+v", back)
	}
}

func TestEveryKindHasAChineseName(t *testing.T) {
	seen := map[Kind]bool{}
	for _, k := range Kinds {
		if seen[k] {
			t.Errorf("%s listed twice", k)
		}
		seen[k] = true
		n := k.Name()
		if n == string(k) || !hasHan(n) {
			t.Errorf("%s: name %q is not Chinese", k, n)
		}
	}
	if len(kindNames) != len(Kinds) {
		t.Errorf("%d names for %d kinds", len(kindNames), len(Kinds))
	}
	if Kind("something_new").Name() != "something_new" {
		t.Error("an unknown kind is not shown as itself")
	}
}

func TestFailsPage(t *testing.T) {
	fails := map[Kind]bool{ExcUnreadable: true, ExcDamaged: true, ExcBlankPage: true, ExcRegistration: true,
		ExcPageIdentity: true, ExcWrongTemplate: true}
	for _, k := range Kinds {
		if k.FailsPage() != fails[k] {
			t.Errorf("%s.FailsPage() = %v, want %v", k, k.FailsPage(), fails[k])
		}
	}
}

func TestScorable(t *testing.T) {
	tests := map[ItemStatus]bool{StatusOK: true, StatusBlank: true, StatusMulti: true, StatusDoubtful: false, "": false}
	for s, want := range tests {
		if s.Scorable() != want {
			t.Errorf("%q.Scorable() = %v, want %v", s, s.Scorable(), want)
		}
	}
}

func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}
