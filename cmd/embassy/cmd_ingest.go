package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"time"

	"github.com/dataembassy/embassy/client"
	"github.com/dataembassy/embassy/registry"
	"golang.org/x/term"
)

func runIngest(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "ingest", "ingest --client FILE --registry NAME [--strict] INPUT", `
Store the rows of INPUT (CSV with a header, or JSON Lines) in registry NAME.
Every row is validated; bad rows are reported with file, line and reason and
skipped (exit code 5 at the end), or with --strict nothing is stored if any
row is bad (exit code 2). Rows whose content is already stored are not
stored again, so a re-run resumes. A row counts as stored when every node
has its share, or t+1 nodes do and the others' shares are held for them;
"pending" rows reached only t nodes. Progress goes to the terminal.`)
	clientFile := fs.String("client", "", "client configuration (client.toml)")
	regName := fs.String("registry", "", "registry name (population, land, business)")
	strict := fs.Bool("strict", false, "store nothing if any row is invalid")
	batch := fs.Int("batch", client.DefaultBatchSize, "records per signed batch")
	workers := fs.Int("workers", 2, "batches in flight")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageErr("ingest takes exactly one input file, got %d", fs.NArg())
	}
	input := fs.Arg(0)
	schema, cfg, err := schemaAndConfig(*regName, *clientFile)
	if err != nil {
		return err
	}
	if *strict {
		if err := checkAll(e, input, schema); err != nil {
			return err
		}
	}
	f, rd, size, err := openInput(input, schema)
	if err != nil {
		return err
	}
	defer f.Close()
	c, err := client.Open(cfg)
	if err != nil {
		return err
	}
	defer c.Close()
	prog := newProgressPrinter(e, size, f)
	p, err := c.Ingest(ctx, schema, rd, client.IngestOptions{BatchSize: *batch, Workers: *workers,
		OnBadRow: func(r registry.Row) { prog.clear(); fmt.Fprintf(e.stderr, "%s:%d: %v\n", input, r.Line, r.Err) },
		Progress: prog.update})
	prog.clear()
	rate := float64(p.Read) / max(p.Elapsed.Seconds(), 1e-9)
	fmt.Fprintf(e.stdout, "stored %d, unchanged %d, pending %d, failed %d, rejected %d (%d rows in %s, %.0f rows/s)\n",
		p.Stored, p.Unchanged, p.Pending, p.Failed, p.Rejected, p.Read, p.Elapsed.Round(time.Millisecond), rate)
	if err != nil {
		return thresholdCode(err)
	}
	if p.Rejected > 0 {
		return withCode(exitRejected, fmt.Errorf("%d rows rejected (see above); the rest were stored", p.Rejected))
	}
	return nil
}

// openRegistryClient resolves --registry and --client and connects.
func openRegistryClient(regName, clientFile string) (registry.Schema, *client.Client, error) {
	schema, cfg, err := schemaAndConfig(regName, clientFile)
	if err != nil {
		return registry.Schema{}, nil, err
	}
	c, err := client.Open(cfg)
	if err != nil {
		return registry.Schema{}, nil, err
	}
	return schema, c, nil
}

func schemaAndConfig(regName, clientFile string) (registry.Schema, client.Config, error) {
	if regName == "" {
		return registry.Schema{}, client.Config{}, usageErr("--registry is required")
	}
	if clientFile == "" {
		return registry.Schema{}, client.Config{}, usageErr("--client is required")
	}
	schema, err := registry.Lookup(regName)
	if err != nil {
		return registry.Schema{}, client.Config{}, withCode(exitUsage, err)
	}
	cfg, err := client.LoadConfig(clientFile)
	if err != nil {
		return registry.Schema{}, client.Config{}, withCode(exitUsage, err)
	}
	return schema, cfg, nil
}

// countingReader counts bytes read, for progress and ETA.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

type inputFile struct {
	*os.File
	counter *countingReader
}

func openInput(path string, schema registry.Schema) (*inputFile, *registry.Reader, int64, error) {
	format, err := registry.FormatFromPath(path)
	if err != nil {
		return nil, nil, 0, withCode(exitUsage, err)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, 0, withCode(exitUsage, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, 0, err
	}
	cr := &countingReader{r: f}
	rd, err := registry.NewReader(bufio.NewReaderSize(cr, 1<<20), format, schema)
	if err != nil {
		f.Close()
		return nil, nil, 0, withCode(exitUsage, fmt.Errorf("%s: %w", path, err))
	}
	return &inputFile{File: f, counter: cr}, rd, st.Size(), nil
}

// checkAll validates every row first, for --strict.
func checkAll(e env, path string, schema registry.Schema) error {
	f, rd, _, err := openInput(path, schema)
	if err != nil {
		return err
	}
	defer f.Close()
	bad := 0
	for {
		row, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if row.Err != nil {
			bad++
			fmt.Fprintf(e.stderr, "%s:%d: %v\n", path, row.Line, row.Err)
		}
	}
	if bad > 0 {
		return usageErr("--strict: %d invalid rows, nothing stored", bad)
	}
	return nil
}

// progressPrinter shows rows/s and ETA on a terminal, at most 4 times a second.
type progressPrinter struct {
	e     env
	tty   bool
	size  int64
	in    *inputFile
	last  time.Time
	shown bool
}

func newProgressPrinter(e env, size int64, in *inputFile) *progressPrinter {
	f, ok := e.stderr.(*os.File)
	return &progressPrinter{e: e, tty: ok && term.IsTerminal(int(f.Fd())), size: size, in: in}
}

func (p *progressPrinter) update(g client.IngestProgress) {
	if !p.tty || time.Since(p.last) < 250*time.Millisecond {
		return
	}
	p.last = time.Now()
	done := g.Stored + g.Unchanged + g.Pending + g.Failed + g.Rejected
	rate := float64(done) / max(g.Elapsed.Seconds(), 1e-9)
	eta := "?"
	if read := p.in.counter.n.Load(); read > 0 && p.size > 0 && rate > 0 {
		total := float64(g.Read) * float64(p.size) / float64(read) // rows in the file, estimated
		eta = time.Duration(max(total-float64(done), 0) / rate * float64(time.Second)).Round(time.Second).String()
	}
	fmt.Fprintf(p.e.stderr, "\r%d rows done (%d stored, %d unchanged, %d pending, %d rejected)  %.0f rows/s  ETA %s   ",
		done, g.Stored, g.Unchanged, g.Pending, g.Rejected, rate, eta)
	p.shown = true
}

func (p *progressPrinter) clear() {
	if p.shown {
		fmt.Fprint(p.e.stderr, "\r\033[K")
		p.shown = false
	}
}
