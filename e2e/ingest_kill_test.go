package e2e

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestKillDuringIngest: two nodes are killed (kill -9) while a 30,000-row
// ingest runs. With n=5 and t=3 every batch still reaches three nodes, so
// nothing may fail; once the two return and the parcels held for them are
// handed off, every row reads back exactly — also with two other nodes
// stopped, which proves the returned nodes got their shares.
func TestKillDuringIngest(t *testing.T) {
	const rows = 30_000
	n := startNet(t)
	file := filepath.Join(t.TempDir(), "pop30k.csv")
	n.mustRun(0, "registry", "generate", "population", "--rows", "30000", "--seed", "11", "--out", file)
	input, err := readRows(file)
	if err != nil {
		t.Fatal(err)
	}
	if len(input) != rows {
		t.Fatalf("%s holds %d rows, want %d", file, len(input), rows)
	}

	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "ingest", "--client", n.client, "--registry", reg, file)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()

	// Wait for progress: the first row of the file (in the first batch) is
	// readable.
	for {
		select {
		case err := <-done:
			n.fatalf("ingest ended before its first row was readable: %v\nstdout:\n%sstderr:\n%s", err, stdout.String(), stderr.String())
		default:
		}
		if _, _, code := n.get(input[0].key); code == 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	n.kill(4)
	n.kill(5)
	select {
	case err = <-done:
		t.Log("note: the ingest had already finished when node4 and node5 were killed")
	default:
		t.Log("node4 and node5 killed while the ingest runs")
		err = <-done
	}
	var ee *exec.ExitError
	code := 0
	switch {
	case ctx.Err() != nil:
		n.fatalf("ingest did not finish within %s\nstderr:\n%s", commandTimeout, stderr.String())
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	t.Logf("ingest: exit %d: %s", code, stdout.String())
	s := n.parseSummary(stdout.String())
	if s.failed != 0 || s.rejected != 0 || s.stored+s.pending+s.unchanged != rows {
		n.fatalf("ingest summary %+v: want failed 0, rejected 0, stored+pending+unchanged = %d\nstderr:\n%s", s, rows, firstLines(stderr.String(), 20))
	}
	if code != 0 {
		n.fatalf("ingest with 3 of 5 nodes up: exit %d, want 0\nstdout:\n%sstderr:\n%s", code, stdout.String(), firstLines(stderr.String(), 20))
	}

	n.up()
	n.waitCaughtUp(n.newProbe(), 1, []int{4, 5}, keysOf(input))
	n.expectExact(input, getChunk)

	n.down(1, 2)
	n.expectExact(sample(input, 300, 2), 300)
}
