// goevac: a Go program for maptrace's evacuation-progress test.  It grows a map and stops
// writing in the middle of an incremental evacuation (Go 1.19 moves the old buckets a few at a
// time, in later writes), reads its own hmap's B, flags, oldbuckets and nevacuate through
// unsafe, prints them, sleeps, then writes until the evacuation is over and prints the fields
// again.  Its own reading is the oracle for maptrace's.  Built by the Makefile with symbols
// and stripped (-ldflags=-s).
//
// Usage: goevac grow B WRITES PAUSE_MS AFTER_MS
//
//	fills make(map[int]int) until the grow to 2^B buckets, makes WRITES more inserts (each
//	evacuates one or two old buckets), pauses PAUSE_MS, finishes the evacuation, sleeps
//	AFTER_MS and exits.
//
//	goevac same KEYS PAUSE_MS AFTER_MS
//
//	keeps KEYS keys while it replaces the oldest one until a same-size grow begins (overflow
//	buckets piled up), stops there, pauses, finishes, sleeps and exits.
//
// Exits 1 when the evacuation ends before the pause, or when the write that ends it begins
// another grow.  Lines: "map ADDR", "grew at_ns N write_ns D" (CLOCK_MONOTONIC as the write
// that grew it began, and how long that write took: the grow began within it), "paused B b
// same s old_buckets n nevacuate n count n", "finished B b oldbuckets nil nevacuate n count n
// at_ns N writes n" (the write that ended it, and how many writes after the pause).
package main

import (
	"fmt"
	"os"
	"strconv"
	"time"
	"unsafe"
)

// hmap: the header of a Go 1.19 map (src/runtime/map.go), the fields read here.
type hmap struct {
	count      int
	flags      uint8
	B          uint8
	noverflow  uint16
	hash0      uint32
	buckets    unsafe.Pointer
	oldbuckets unsafe.Pointer
	nevacuate  uintptr
	extra      unsafe.Pointer
}

const sameSizeGrow = 8 // hmap.flags: the running grow keeps the size

// A package-level map: on the heap, at an address that stays put.
var m map[int]int

func header(mp map[int]int) *hmap {
	return *(**hmap)(unsafe.Pointer(&mp))
}

// nanotime: the runtime's CLOCK_MONOTONIC in ns (the vDSO), the clock maptrace's records use.
// Not a raw clock_gettime syscall: leaving a syscall can wait for a P (a GC stopping the world),
// a wait the program would then count in a span it times.
//
//go:linkname nanotime runtime.nanotime
func nanotime() int64

func now() int64 { return nanotime() }

func arg(i int) int {
	v, err := strconv.Atoi(os.Args[i])
	if err != nil || v < 0 {
		fmt.Fprintf(os.Stderr, "goevac: argument %d: want a number, not %q\n", i, os.Args[i])
		os.Exit(2)
	}
	return v
}

// finish writes until the evacuation is over: new keys from next, each replacing the key
// keys before it when keys > 0 (the count stays).  It returns the writes it took, when it was
// over, and whether a write began another grow (the bucket array was replaced).
func finish(h *hmap, next, keys int) (int, int64, bool) {
	writes, buckets := 0, h.buckets
	for h.oldbuckets != nil && h.buckets == buckets {
		if keys > 0 {
			delete(m, next-keys)
		}
		m[next] = next
		next++
		writes++
	}
	return writes, now(), h.buckets != buckets
}

func main() {
	if len(os.Args) < 2 || (os.Args[1] == "grow" && len(os.Args) != 6) ||
		(os.Args[1] == "same" && len(os.Args) != 5) ||
		(os.Args[1] != "grow" && os.Args[1] != "same") {
		fmt.Fprintln(os.Stderr, "usage: goevac grow B WRITES PAUSE_MS AFTER_MS | goevac same KEYS PAUSE_MS AFTER_MS")
		os.Exit(2)
	}
	m = make(map[int]int)
	h := header(m)
	fmt.Printf("map %p\n", m)
	next, keys := 0, 0
	var grewAt, grewFor int64
	var pause, after int
	if os.Args[1] == "grow" {
		B, writes := arg(2), arg(3)
		pause, after = arg(4), arg(5)
		if B < 2 || B > 24 {
			fmt.Fprintln(os.Stderr, "goevac: B must be 2 to 24")
			os.Exit(2)
		}
		// fill until the write that grows it to 2^B buckets
		for int(h.B) < B || h.oldbuckets == nil {
			t := now()
			m[next] = next
			next++
			if int(h.B) == B && h.oldbuckets != nil {
				grewAt, grewFor = t, now()-t
			}
		}
		for i := 0; i < writes && h.oldbuckets != nil; i++ {
			m[next] = next
			next++
		}
	} else {
		keys = arg(2)
		pause, after = arg(3), arg(4)
		for ; next < keys; next++ {
			m[next] = next
		}
		// replace the oldest key until a same-size grow starts; a doubling one is finished
		for {
			t := now()
			delete(m, next-keys)
			m[next] = next
			next++
			if h.oldbuckets == nil {
				continue
			}
			if h.flags&sameSizeGrow != 0 {
				grewAt, grewFor = t, now()-t
				break
			}
			for h.oldbuckets != nil {
				delete(m, next-keys)
				m[next] = next
				next++
			}
		}
	}
	if h.oldbuckets == nil {
		fmt.Fprintln(os.Stderr, "goevac: the evacuation ended before the pause; give fewer writes")
		os.Exit(1)
	}
	same := 0
	oldB := int(h.B) - 1
	if h.flags&sameSizeGrow != 0 {
		same, oldB = 1, int(h.B)
	}
	fmt.Printf("grew at_ns %d write_ns %d\n", grewAt, grewFor)
	fmt.Printf("paused B %d same %d old_buckets %d nevacuate %d count %d\n", h.B, same,
		1<<oldB, h.nevacuate, h.count)
	time.Sleep(time.Duration(pause) * time.Millisecond)
	// reads evacuate nothing: the fields are as they were
	fmt.Printf("after pause nevacuate %d\n", h.nevacuate)
	writes, at, regrew := finish(h, next, keys)
	if regrew {
		fmt.Fprintln(os.Stderr, "goevac: a write ended the evacuation and began another grow")
		os.Exit(1)
	}
	fmt.Printf("finished B %d oldbuckets nil nevacuate %d count %d at_ns %d writes %d\n", h.B,
		h.nevacuate, h.count, at, writes)
	time.Sleep(time.Duration(after) * time.Millisecond)
}
