// gorw: contended sync.RWMutex waits of both kinds, each counted and timed by the program itself,
// for maptrace's Go lock tests (Go 1.19's RWMutex: {w Mutex; writerSem, readerSem uint32;
// readerCount, readerWait int32}, src/sync/rwmutex.go).  N rounds of three waits on rw:
//
//   - a reader behind a writer: main holds rw.Lock(); a goroutine calls rw.RLock() (readWait).
//     Once readerCount shows it came in (RLock's add made it > -rwmutexMaxReaders while a
//     writer is pending), it is bound to wait on readerSem;
//   - a writer behind a reader: main holds rw.RLock(); a goroutine calls rw.Lock() (writeWait).
//     Once readerWait shows the writer is waiting for one reader, it is bound to wait on
//     writerSem;
//   - a writer behind a writer: main holds rw.Lock(); a goroutine calls rw.Lock(). Once rw.w's
//     state word counts a waiter, it is parked in rw.w's lockSlow; it then finds no reader.
//
// Main holds each lock HOLD_MS (20 ms by default) longer after it saw the waiter come in, so
// every wait parks.  Prints &rw, the waits of each kind and their total time, and the median
// of all, as the goroutines timed them with time.Now around the call; and the waiting
// goroutines' ids of each kind, each from the runtime's "goroutine N [" header of its own stack.
//
// Usage: gorw [N]  (N rounds, 5 by default); GOMAP_WAIT set: wait for input before exiting.
package main

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

var rw sync.RWMutex

// The fields of rw that say a waiter came in (offsets of Go 1.19's sync.RWMutex).
func field(off uintptr) int32 {
	return atomic.LoadInt32((*int32)(unsafe.Add(unsafe.Pointer(&rw), off)))
}

const maxReaders = 1 << 30 // rwmutexMaxReaders

// The calling goroutine's id, as the runtime prints it: "goroutine N [running]:".
func goid() string {
	buf := make([]byte, 64)
	buf = buf[:runtime.Stack(buf, false)]
	f := bytes.Fields(buf)
	if len(f) < 3 || string(f[0]) != "goroutine" || f[2][0] != '[' {
		panic("runtime.Stack: no goroutine header: " + string(buf))
	}
	return string(f[1])
}

//go:noinline
func readWait() time.Duration {
	t0 := time.Now()
	rw.RLock()
	return time.Since(t0)
}

//go:noinline
func writeWait() time.Duration {
	t0 := time.Now()
	rw.Lock()
	return time.Since(t0)
}

func median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return d[(len(d)-1)/2]
}

func total(d []time.Duration) (t time.Duration) {
	for _, x := range d {
		t += x
	}
	return t
}

// until spins (sleeping) until cond holds, then holds on hold longer.
func until(cond func() bool, hold time.Duration) {
	for !cond() {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(hold)
}

func main() {
	n, hold := 5, 20*time.Millisecond
	if len(os.Args) > 1 {
		v, err := strconv.Atoi(os.Args[1])
		if err != nil || v < 0 {
			fmt.Fprintf(os.Stderr, "gorw: bad round count %q; give a number >= 0\n", os.Args[1])
			os.Exit(2)
		}
		n = v
	}
	if v := os.Getenv("HOLD_MS"); v != "" {
		ms, _ := strconv.Atoi(v)
		hold = time.Duration(ms) * time.Millisecond
	}
	fmt.Printf("rwmutex %p\n", &rw)
	var reads, writes []time.Duration
	var rids, wids []string
	done := make(chan time.Duration)
	idc := make(chan string, 1)
	for i := 0; i < n; i++ {
		// a reader behind a writer
		rw.Lock()
		go func() {
			idc <- goid()
			d := readWait()
			rw.RUnlock()
			done <- d
		}()
		until(func() bool { return field(16) > -maxReaders }, hold)
		rw.Unlock()
		reads = append(reads, <-done)
		rids = append(rids, <-idc)

		// a writer behind a reader
		rw.RLock()
		go func() {
			idc <- goid()
			d := writeWait()
			rw.Unlock()
			done <- d
		}()
		until(func() bool { return field(20) > 0 }, hold)
		rw.RUnlock()
		writes = append(writes, <-done)
		wids = append(wids, <-idc)

		// a writer behind a writer: a waiter counted in rw.w's state (bits 3 and up)
		rw.Lock()
		go func() {
			idc <- goid()
			d := writeWait()
			rw.Unlock()
			done <- d
		}()
		until(func() bool { return field(0)>>3 > 0 }, hold)
		rw.Unlock()
		writes = append(writes, <-done)
		wids = append(wids, <-idc)
	}
	fmt.Printf("read_waits %d write_waits %d\n", len(reads), len(writes))
	fmt.Printf("read_total_ns %d write_total_ns %d\n", total(reads).Nanoseconds(),
		total(writes).Nanoseconds())
	all := append(append([]time.Duration{}, reads...), writes...)
	fmt.Printf("median_ns %d\n", median(all).Nanoseconds())
	fmt.Printf("goids_read %s\ngoids_write %s\n", strings.Join(rids, " "), strings.Join(wids, " "))
	if os.Getenv("GOMAP_WAIT") != "" {
		fmt.Println("waiting")
		var b [1]byte
		os.Stdin.Read(b[:])
	}
}
