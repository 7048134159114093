// Package webtest drives the product's pages in a real headless Chromium
// for tests: one shared browser per test binary, a fresh browser context
// (cookies apart) per tab, screenshots into var/screenshots. The web
// package's browser tests and the end-to-end lifecycle test use it.
package webtest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// One headless Chromium serves every browser test of a test binary.
var browser struct {
	once    sync.Once
	ctx     context.Context
	cancel  func()
	err     error
	userDir string
}

// Close stops the shared Chromium; call it from TestMain after m.Run.
func Close() {
	if browser.cancel != nil {
		browser.cancel()
	}
	if browser.userDir != "" {
		_ = os.RemoveAll(browser.userDir)
	}
}

func chromiumPath() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

func start() {
	path := chromiumPath()
	if path == "" {
		browser.err = exec.ErrNotFound
		return
	}
	browser.userDir, _ = os.MkdirTemp("", "saoyue-chromium-")
	// The network is closed: without these flags Chromium waits on
	// connections to Google's services.
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path), chromedp.UserDataDir(browser.userDir),
		chromedp.Flag("headless", true), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true), chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("font-render-hinting", "none"),
		chromedp.WindowSize(1366, 768),
	}
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, bcancel := chromedp.NewContext(actx)
	if err := chromedp.Do(bctx); err != nil {
		browser.err = err
	}
	browser.ctx = bctx
	browser.cancel = func() { bcancel(); acancel() }
}

// NewTab opens a tab in a fresh browser context of the shared browser,
// 1366×768 like a school PC. It is closed when the test ends.
func NewTab(t testing.TB) context.Context {
	t.Helper()
	browser.once.Do(start)
	if browser.err != nil {
		t.Fatalf("start Chromium (apt-get install chromium; scripts/services.sh deps installs it): %v", browser.err)
	}
	ctx, cancel := chromedp.NewContext(browser.ctx, chromedp.WithNewBrowserContext())
	ctx, cancel2 := context.WithTimeout(ctx, 4*time.Minute) // generous: CI runs other packages alongside
	t.Cleanup(func() { cancel2(); cancel() })
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1366, 768)); err != nil {
		t.Fatal(err)
	}
	return ctx
}

// ScreenshotDir is var/screenshots at the module root, found from the
// test's working directory (the package directory).
func ScreenshotDir(t testing.TB) string {
	t.Helper()
	dir, _ := os.Getwd()
	for d := dir; d != filepath.Dir(d); d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			out := filepath.Join(d, "var", "screenshots")
			if err := os.MkdirAll(out, 0o755); err != nil {
				t.Fatal(err)
			}
			return out
		}
	}
	t.Fatal("no go.mod above " + dir)
	return ""
}

// Shoot writes a PNG of the viewport to var/screenshots/name.png.
func Shoot(t testing.TB, ctx context.Context, name string) {
	t.Helper()
	buf, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(ScreenshotDir(t), name+".png"), buf, 0o644); err != nil {
		t.Fatal(err)
	}
}

// SignIn opens base+path and fills the sign-in form it redirects to.
func SignIn(t testing.TB, ctx context.Context, base, path, login, password string) {
	t.Helper()
	err := chromedp.Do(ctx,
		chromedp.Navigate(base+path),
		chromedp.WaitVisible(chromedp.ID("login")),
		chromedp.SendKeys(chromedp.ID("login"), login),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.ID("signin")),
	)
	if err != nil {
		t.Fatalf("sign in %s: %v", login, err)
	}
}

// Discard runs an action for its effect (a wait) inside chromedp.Do.
func Discard[T any](a chromedp.Action[T]) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := a(ctx, t)
		return chromedp.Void{}, err
	}
}

// Ready waits for the page's deferred scripts, which own the shortcuts.
func Ready() chromedp.Action[chromedp.Void] {
	return Discard(chromedp.Poll[bool](`document.readyState === "complete"`, chromedp.WithPollingTimeout(45*time.Second)))
}
