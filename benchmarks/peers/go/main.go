// go_bench: the Go peer of zio's benchmark suite.
//
// Usage: go_bench <benchmark> <threads> [n]
// See ../../README.md for the contract: one line "RESULT <value> <unit>" on
// stdout, errors on stderr with a non-zero exit.
package main

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
)

type benchmark struct {
	defaultN int
	run      func(n int) (float64, string)
}

var benchmarks = map[string]benchmark{
	"ping_pong": {1_000_000, pingPong},
	"spawn":     {1_000_000, spawn},
	"echo":      {50_000, echo},
	"idle":      {100_000, idle},
}

// fail reports a broken run (wrong echo, bad count, I/O error) and exits
// non-zero, as the contract asks. It is safe to call from any goroutine.
func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "go_bench: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	if len(os.Args) < 3 || len(os.Args) > 4 {
		fail("usage: %s <ping_pong|spawn|echo|idle> <threads> [n]", os.Args[0])
	}
	b, ok := benchmarks[os.Args[1]]
	if !ok {
		fail("unknown benchmark %q", os.Args[1])
	}
	threads, err := strconv.Atoi(os.Args[2])
	if err != nil || (threads != 1 && threads != 2) {
		fail("threads must be 1 or 2, got %q", os.Args[2])
	}
	n := b.defaultN
	if len(os.Args) == 4 {
		if n, err = strconv.Atoi(os.Args[3]); err != nil || n < 1 {
			fail("n must be a positive integer, got %q", os.Args[3])
		}
	}

	// threads maps to the number of Ps: 1 is Go's single-threaded scheduler
	// (one P, goroutines never run in parallel), 2 gives two Ps with Go's own
	// work stealing.
	runtime.GOMAXPROCS(threads)

	value, unit := b.run(n)
	fmt.Printf("RESULT %.1f %s\n", value, unit)
}

// vmRSS returns the resident set size in bytes from /proc/self/status.
func vmRSS() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		fail("open /proc/self/status: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// The line looks like "VmRSS:\t   12345 kB". (strings.CutPrefix is
		// Go 1.20, hence HasPrefix + Fields for 1.19.)
		line := sc.Text()
		if strings.HasPrefix(line, "VmRSS:") {
			fields := strings.Fields(line)
			if len(fields) != 3 || fields[2] != "kB" {
				fail("unexpected VmRSS line %q", line)
			}
			kb, err := strconv.ParseInt(fields[1], 10, 64)
			if err != nil {
				fail("parse VmRSS %q: %v", line, err)
			}
			return kb * 1024
		}
	}
	fail("no VmRSS line in /proc/self/status")
	return 0
}
