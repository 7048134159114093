package scanner

import (
	"bytes"
	"fmt"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// watchFinished calls finished with the name of every file in dir that a
// writer closes, or that is renamed into dir: the moment a scan is
// complete, which on Linux the kernel says (inotify's IN_CLOSE_WRITE;
// fsnotify does not offer it). stop ends the watch.
func watchFinished(dir string, finished func(name string)) (stop func(), err error) {
	fd, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("watch %s for finished files: %w", dir, err)
	}
	if _, err := unix.InotifyAddWatch(fd, dir, unix.IN_CLOSE_WRITE|unix.IN_MOVED_TO); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("watch %s for finished files: %w", dir, err)
	}
	// A non-blocking descriptor goes to Go's poller, so Close ends the Read.
	f := os.NewFile(uintptr(fd), "inotify")
	go func() {
		buf := make([]byte, 64<<10)
		for {
			n, err := f.Read(buf)
			if err != nil {
				return
			}
			for off := 0; off+unix.SizeofInotifyEvent <= n; {
				ev := (*unix.InotifyEvent)(unsafe.Pointer(&buf[off]))
				name := buf[off+unix.SizeofInotifyEvent : off+unix.SizeofInotifyEvent+int(ev.Len)]
				off += unix.SizeofInotifyEvent + int(ev.Len)
				if ev.Mask&unix.IN_ISDIR == 0 && len(name) > 0 {
					finished(string(bytes.TrimRight(name, "\x00")))
				}
			}
		}
	}()
	return func() { f.Close() }, nil
}
