package web

import (
	"os"
	"testing"

	"github.com/saoyue/saoyue/web/webtest"
)

// The browser helpers live in web/webtest, shared with the end-to-end
// test; TestMain stops the one Chromium its tests share.
func TestMain(m *testing.M) {
	code := m.Run()
	webtest.Close()
	os.Exit(code)
}
