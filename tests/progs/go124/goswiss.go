// goswiss: a Go 1.24+ program for maptrace's Swiss-table tests (built by the Makefile with the
// Go 1.24 toolchain of scripts/go124.sh, with symbols and stripped).  It fills make(map[int]int)
// with N keys (it starts as a small map of one 8-slot group) and make(map[int]int, N) with the
// same keys, and prints, for each map, its address (%p: the runtime's *maps.Map, the map
// maptrace's probes see) and, read from the map's own header after the fill, its directory:
// how many distinct tables it holds, its global depth, the tables' smallest and largest
// capacity; for the hinted map also the tables make() gave it.  From these a test derives how
// many grows the fill took, by Go's growth rules, without maptrace.
//
// The layout is internal/runtime/maps of Go 1.24 to 1.26 (map.go, table.go): Map {used u64 @0,
// seed @8, dirPtr @16, dirLen int @24, globalDepth u8 @32}, table {used u16 @0, capacity u16
// @2}; dirPtr is an array of dirLen *table, a table covering consecutive entries.  Any other
// Go release is refused.
//
// Usage: goswiss [N]   (100000 by default)
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"unsafe"
)

// Package-level, so the maps live on the heap at an address that stays put.
var grown, hinted map[int]int

type dirInfo struct {
	tables         int
	depth          uint8
	minCap, maxCap uint16
}

// dir reads m's directory from its own header.  A small map (dirLen 0) has no table.
func dir(m map[int]int) dirInfo {
	mp := *(*unsafe.Pointer)(unsafe.Pointer(&m))
	dirPtr := *(*unsafe.Pointer)(unsafe.Add(mp, 16))
	dirLen := *(*int)(unsafe.Add(mp, 24))
	d := dirInfo{depth: *(*uint8)(unsafe.Add(mp, 32))}
	var prev unsafe.Pointer
	for i := 0; i < dirLen; i++ {
		t := *(*unsafe.Pointer)(unsafe.Add(dirPtr, uintptr(i)*unsafe.Sizeof(prev)))
		if t == prev {
			continue
		}
		prev = t
		c := *(*uint16)(unsafe.Add(t, 2))
		if d.tables == 0 || c < d.minCap {
			d.minCap = c
		}
		if c > d.maxCap {
			d.maxCap = c
		}
		d.tables++
	}
	return d
}

//go:noinline
func fill(m map[int]int, n int) int {
	for i := 0; i < n; i++ {
		m[i] = i * 2
	}
	return len(m)
}

func main() {
	v := runtime.Version()
	if !strings.HasPrefix(v, "go1.24") && !strings.HasPrefix(v, "go1.25") &&
		!strings.HasPrefix(v, "go1.26") {
		fmt.Fprintf(os.Stderr, "goswiss: built with %s; it reads Go 1.24-1.26 Swiss maps: build it with scripts/go124.sh's toolchain (make test-build)\n", v)
		os.Exit(2)
	}
	n := 100000
	if len(os.Args) > 1 {
		v, err := strconv.Atoi(os.Args[1])
		if err != nil || v < 0 {
			fmt.Fprintf(os.Stderr, "goswiss: bad key count %q; give a number >= 0\n", os.Args[1])
			os.Exit(2)
		}
		n = v
	}
	grown = make(map[int]int)
	hinted = make(map[int]int, n)
	made := dir(hinted)
	fmt.Println("grown", fill(grown, n))
	fmt.Println("hinted", fill(hinted, n))
	g, h := dir(grown), dir(hinted)
	fmt.Printf("dir grown %p tables %d depth %d capacity %d-%d\n", grown, g.tables, g.depth,
		g.minCap, g.maxCap)
	fmt.Printf("dir hinted %p made %d tables %d depth %d capacity %d-%d\n", hinted, made.tables,
		h.tables, h.depth, h.minCap, h.maxCap)
}
