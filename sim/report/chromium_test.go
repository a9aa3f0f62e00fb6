package report_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dataembassy/embassy/sim/report"
	"github.com/dataembassy/embassy/sim/results/resultstest"
)

// chromium finds a Chromium to test with, or skips the test.
func chromium(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	t.Skip("chromium not installed: the report is not checked in a browser (on Debian: apt-get install chromium)")
	return ""
}

// browse loads a file in headless Chromium and returns the DOM it built
// and every console message it logged (errors, warnings, Content Security
// Policy violations, failed loads).
func browse(t *testing.T, bin, page string) (dom string, console []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--host-resolver-rules=MAP * ~NOTFOUND", // nothing could be fetched anyway
		"--user-data-dir="+t.TempDir(), "--enable-logging=stderr", "--v=0",
		"--dump-dom", "file://"+page)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, stderr.String())
	}
	for _, l := range strings.Split(stderr.String(), "\n") {
		if strings.Contains(l, "CONSOLE") || strings.Contains(l, "Uncaught") {
			console = append(console, l)
		}
	}
	return stdout.String(), console
}

func TestReportInChromium(t *testing.T) {
	bin := chromium(t)
	dir := t.TempDir()

	// The check itself: a page that logs and breaks its policy is caught.
	probe := filepath.Join(dir, "probe.html")
	os.WriteFile(probe, []byte(`<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'"></head>`+
		`<body><script>console.error("probe")</script><img src="https://example.invalid/x.png"></body></html>`), 0o644)
	if _, console := browse(t, bin, probe); len(console) < 2 {
		t.Fatalf("chromium's console messages are not seen (%d of 2): the test cannot tell a broken report", len(console))
	}

	pages := map[string]struct {
		write func(f *os.File) error
		ids   []string
	}{
		"run.html": {func(f *os.File) error { return report.Write(f, resultstest.Run(resultstest.Options{})) }, runPlots},
		"sweep.html": {func(f *os.File) error {
			return report.WriteSweep(f, resultstest.Sweep(1, []int{5, 7}, []int{3, 4}))
		}, sweepPlots},
	}
	for name, p := range pages {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name)
			f, err := os.Create(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := p.write(f); err != nil {
				t.Fatal(err)
			}
			f.Close()
			dom, console := browse(t, bin, path)
			for _, l := range console {
				t.Errorf("console: %s", l)
			}
			for _, id := range p.ids {
				if !strings.Contains(dom, `<svg id="`+id+`"`) {
					t.Errorf("the DOM has no plot %s", id)
				}
			}
			if !strings.Contains(dom, "</html>") {
				t.Errorf("the DOM dump looks truncated (%d bytes)", len(dom))
			}
		})
	}
}
