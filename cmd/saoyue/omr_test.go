package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadRoster(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body string
		want       []string
		err        string
	}{
		{"one per line", "2410010101\n2410010102\n", []string{"2410010101", "2410010102"}, ""},
		{"CSV with header and BOM", "\ufeff考号,姓名\n2410010101,张三\n 2410010102 ,李四\n\n", []string{"2410010101", "2410010102"}, ""},
		{"a name where a number should be", "2410010101\n张三\n", nil, "line 2"},
		{"empty", "考号\n", nil, "no exam number"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "roster.csv")
			if err := os.WriteFile(path, []byte(tc.body), 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := loadRoster(path)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one saying %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("%d numbers, want %d: %v", len(got), len(tc.want), got)
			}
			for _, no := range tc.want {
				if !got[no] {
					t.Errorf("%s missing from %v", no, got)
				}
			}
		})
	}
}
