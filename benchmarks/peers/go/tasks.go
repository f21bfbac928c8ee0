package main

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// pingPong: the main goroutine is task A, a second goroutine is task B; two
// buffered channels of capacity 1, as the contract says. A round is one send
// and one receive in each direction.
func pingPong(n int) (float64, string) {
	ping := make(chan int, 1)
	pong := make(chan int, 1)
	go func() { // task B: echo every value back
		for i := 0; i < n; i++ {
			pong <- <-ping
		}
	}()

	start := time.Now()
	for i := 0; i < n; i++ {
		ping <- i
		if v := <-pong; v != i {
			fail("ping_pong: sent %d, got back %d", i, v)
		}
	}
	elapsed := time.Since(start)
	return float64(elapsed.Nanoseconds()) / float64(n), "ns/round"
}

// spawn: n goroutines, each bumps one shared counter; whichever brings it to
// n closes done. No per-goroutine handle (WaitGroup, channel) is kept.
func spawn(n int) (float64, string) {
	var counter int64
	done := make(chan struct{})
	target := int64(n)
	task := func() {
		if atomic.AddInt64(&counter, 1) == target {
			close(done)
		}
	}

	start := time.Now()
	for i := 0; i < n; i++ {
		go task()
	}
	<-done
	elapsed := time.Since(start)

	if c := atomic.LoadInt64(&counter); c != target {
		fail("spawn: counter is %d, want %d", c, n)
	}
	return float64(n) / elapsed.Seconds(), "spawns/s"
}

// idle: memory per parked goroutine. Each goroutine announces itself on a
// counter and then blocks receiving from one shared channel that is closed
// only after the second RSS reading.
func idle(n int) (float64, string) {
	var started int64
	release := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(n)

	before := vmRSS()
	for i := 0; i < n; i++ {
		go func() {
			atomic.AddInt64(&started, 1)
			<-release
			wg.Done()
		}()
	}
	// Wait until every goroutine has run up to its receive. Gosched hands the
	// P to the runnable goroutines (essential with GOMAXPROCS=1); no sleeps.
	// A goroutine that has counted itself is at most a few instructions away
	// from parking, and its stack (the memory being measured) already exists.
	for atomic.LoadInt64(&started) < int64(n) {
		runtime.Gosched()
	}
	runtime.Gosched() // let the last one reach the receive too
	parked := vmRSS()

	close(release)
	wg.Wait()
	return float64(parked-before) / float64(n), "B/task"
}
