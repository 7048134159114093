//go:build !linux

package scanner

import "errors"

// watchFinished is Linux's only: elsewhere a scan is complete once its size
// has settled.
func watchFinished(string, func(string)) (func(), error) {
	return nil, errors.ErrUnsupported
}
