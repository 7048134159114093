package main

import (
	"testing"

	"github.com/spf13/pflag"
)

func newFlagSet() *pflag.FlagSet { return pflag.NewFlagSet("saoyue", pflag.ContinueOnError) }

func TestReadMemoryFromEnvironmentAndFlag(t *testing.T) {
	for in, want := range map[string]int64{"1073741824": 1 << 30, "1GiB": 1 << 30, "512MiB": 512 << 20, "1.5 GiB": 3 << 29, "800MB": 800e6, "2gib": 2 << 30} {
		if got, err := parseBytes(in); err != nil || got != want {
			t.Errorf("%q: %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "lots", "-1GiB", "0", "GiB"} {
		if _, err := parseBytes(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
	// The variable is the default, the flag wins.
	var c2 Config
	fs := newFlagSet()
	c2.BindFlags(fs, func(k string) string { return map[string]string{"SAOYUE_READ_MEMORY": "600MiB"}[k] })
	if n, err := c2.ReadMemoryBytes(); err != nil || n != 600<<20 {
		t.Errorf("from the environment: %d, %v", n, err)
	}
	if err := fs.Parse([]string{"--read-memory", "2GiB"}); err != nil {
		t.Fatal(err)
	}
	if n, err := c2.ReadMemoryBytes(); err != nil || n != 2<<30 {
		t.Errorf("from the flag: %d, %v", n, err)
	}
	var none Config
	none.BindFlags(newFlagSet(), func(string) string { return "" })
	if n, _ := none.ReadMemoryBytes(); n != 1<<30 {
		t.Errorf("default %d, want 1 GiB", n)
	}
}
