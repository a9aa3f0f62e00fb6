// Command bubbledemo runs two functions in synctest bubbles with
// bubble.Run from an ordinary program, for bubble's TestDemoBinary: each
// sleeps an hour of virtual time and prints what it measured. Its first
// argument chooses what the second run does: ok, error, panic, fatal,
// deadlock, or seeded (both runs seed crypto randomness with
// testing/cryptotest and print 8 random bytes).
package main

import (
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"os"
	"testing"
	"testing/cryptotest"
	"time"

	"github.com/dataembassy/embassy/sim/bubble"
)

func main() {
	label := flag.String("label", "demo", "printed before each line")
	flag.Parse()
	mode := flag.Arg(0)
	args := fmt.Sprint(os.Args[1:])
	for i := 1; i <= 2; i++ {
		err := bubble.Run(func(t *testing.T) error {
			return sleep(t, *label, i, mode)
		})
		if err != nil {
			fmt.Fprintf(os.Stderr, "bubbledemo: run %d: %v\n", i, err)
			os.Exit(1)
		}
	}
	// What Run must have left alone.
	fmt.Printf("%s: args %s (unchanged %t), flag.Parsed %t, flag.Args %v, test.run on flag.CommandLine %t\n",
		*label, os.Args[1:], fmt.Sprint(os.Args[1:]) == args, flag.Parsed(), flag.Args(), flag.Lookup("test.run") != nil)
}

func sleep(t *testing.T, label string, run int, mode string) error {
	start := time.Now()
	if mode == "seeded" {
		cryptotest.SetGlobalRandom(t, 42)
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		fmt.Printf("%s: run %d: random %x\n", label, run, b)
	}
	done := make(chan struct{})
	go func() {
		time.Sleep(time.Hour)
		close(done)
	}()
	select {
	case <-done:
	case <-t.Context().Done():
		return t.Context().Err()
	}
	fmt.Printf("%s: run %d: started %s, virtual %s\n", label, run, start.UTC().Format(time.DateTime), time.Since(start))
	if run < 2 {
		return nil
	}
	switch mode {
	case "error":
		return errors.New("boom")
	case "panic":
		panic("kaboom")
	case "fatal":
		t.Fatal("fatal")
	case "deadlock":
		<-make(chan struct{})
	}
	return nil
}
