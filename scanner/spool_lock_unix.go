//go:build !windows

package scanner

import (
	"os"

	"golang.org/x/sys/unix"
)

// lockFile takes an exclusive lock on f, or fails at once if another open
// of the file holds it. Closing f releases it.
func lockFile(f *os.File) error {
	return unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
}
