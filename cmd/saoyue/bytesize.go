package main

import (
	"fmt"
	"strconv"
	"strings"
)

// parseBytes reads a size: a number of bytes, or a number with a unit
// (KiB, MiB, GiB, TiB or KB, MB, GB, TB; "1GiB", "512MB", "1.5 GiB").
func parseBytes(s string) (int64, error) {
	t := strings.TrimSpace(s)
	units := []struct {
		suffix string
		mult   float64
	}{
		{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
		{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12}, {"B", 1},
	}
	mult := 1.0
	for _, u := range units {
		if len(t) > len(u.suffix) && strings.EqualFold(t[len(t)-len(u.suffix):], u.suffix) {
			mult, t = u.mult, strings.TrimSpace(t[:len(t)-len(u.suffix)])
			break
		}
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || f <= 0 || f*mult >= 1<<62 {
		return 0, fmt.Errorf("%q is not a size in bytes (e.g. 1073741824, 1GiB, 512MB)", s)
	}
	return int64(f * mult), nil
}
