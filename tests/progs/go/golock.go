// golock: contended sync.Mutex waits, each timed by the program itself.  N times, main holds
// mu, starts a goroutine that calls mu.Lock() (in waitForLock, timed with time.Now around it),
// holds mu HOLD_MS more after that goroutine is seen parked on it (its waiter bit in the
// mutex's state word), then unlocks.  So every one of the N waits goes through
// sync.(*Mutex).lockSlow and parks.  Prints &mu, the waits seen parked, the median wait and
// each waiting goroutine's own id, from the runtime's "goroutine N [" header of its stack (the
// median and the ids may differ run to run; the others do not).
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



var mu sync.Mutex

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

// The waiting function: a contended Lock's stack goes through it.
//
//go:noinline
func waitForLock(m *sync.Mutex) time.Duration {
	t0 := time.Now()
	m.Lock()
	return time.Since(t0)
}

// Has a goroutine parked on m?  The waiter count is in state's bits 3 and up.
func parked(m *sync.Mutex) bool {
	return atomic.LoadInt32((*int32)(unsafe.Pointer(m)))>>3 > 0
}

func main() {
	n, hold := 10, 20*time.Millisecond
	if len(os.Args) > 1 {
		n, _ = strconv.Atoi(os.Args[1])
	}
	if v := os.Getenv("HOLD_MS"); v != "" {
		ms, _ := strconv.Atoi(v)
		hold = time.Duration(ms) * time.Millisecond
	}
	fmt.Printf("mutex %p\n", &mu)
	waits := make([]time.Duration, 0, n)
	ids := make([]string, 0, n)
	seen := 0
	for i := 0; i < n; i++ {
		mu.Lock()
		done := make(chan time.Duration)
		id := make(chan string, 1)
		go func() {
			id <- goid()
			d := waitForLock(&mu)
			mu.Unlock()
			done <- d
		}()
		time.Sleep(hold)
		for !parked(&mu) {
			time.Sleep(time.Millisecond)
		}
		seen++
		mu.Unlock()
		waits = append(waits, <-done)
		ids = append(ids, <-id)
	}
	sort.Slice(waits, func(i, j int) bool { return waits[i] < waits[j] })
	fmt.Printf("waits %d parked %d\n", len(waits), seen)
	if n > 0 {
		// the median, as the test computes it from maptrace's histogram: the lower middle
		fmt.Printf("median_ns %d\n", waits[(n-1)/2].Nanoseconds())
		fmt.Printf("waits_ns")
		for _, w := range waits {
			fmt.Printf(" %d", w.Nanoseconds())
		}
		fmt.Println()
		fmt.Printf("goids %s\n", strings.Join(ids, " "))
	}
	if os.Getenv("GOMAP_WAIT") != "" {
		fmt.Println("waiting")
		var b [1]byte
		os.Stdin.Read(b[:])
	}
}
