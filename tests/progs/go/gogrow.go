// gogrow: a Go program for maptrace's Go map tests.  It fills make(map[int]int) with N keys
// (it grows from one bucket) and a map made with make(map[int]int, N) (it never grows), then
// prints each map's own len() and the grows the load-factor rule of runtime/map.go predicts
// for N inserts, so a test compares maptrace's figures with the program's.  A third map keeps
// 6000 keys through a million delete/insert pairs: its same-size grows.  Built by the
// Makefile with symbols and stripped (-ldflags=-s).
//
// Usage: gogrow [N]   (100000 by default); with GOMAP_WAIT set in the environment it waits
// for end of input before it exits, so a tracer can read the maps of the live process.
//        gogrow types N   fills a map[int]int and a map[string]*main.Node with N keys each
// and prints each map's address and its type as the program names it (%p and %T), the
// oracle for maptrace's type names.
//        gogrow small N   makes N small maps (make(map[int]int), one key each, the last 100
// kept), the cost of tracing a program that makes many maps; it prints the keys it counts and,
// on stderr, the time the loop took by its own clock (small_ns) and its CPU time (cpu_ns).
package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"syscall"
	"time"
)

// Package-level, so the maps live on the heap: made by runtime.makemap_small and
// runtime.makemap, at an address that stays put.
var grown, hinted, churned map[int]int

//go:noinline
func fill(m map[int]int, n int) int {
	for i := 0; i < n; i++ {
		m[i] = i * 2
	}
	return len(m)
}

// churn keeps n keys in m while it replaces the oldest key with a new one, rounds times: the
// deletes leave holes that new keys only partly fill, overflow buckets pile up, and the map
// makes same-size grows (how many depends on the map's random hash seed).
//
//go:noinline
func churn(m map[int]int, n, rounds int) int {
	for i := 0; i < n; i++ {
		m[i] = i
	}
	for i := n; i < n+rounds; i++ {
		delete(m, i-n)
		m[i] = i
	}
	return len(m)
}

// ruleGrows: the grows of a map filled from empty with n new keys, by mapassign's rule: before
// inserting a new key, grow when count+1 > 8 and count+1 > 13 * (2^B / 2) (loadFactorNum /
// loadFactorDen = 6.5 entries per bucket of 8 slots).  A grow doubles the buckets (B += 1).
func ruleGrows(n int) (grows, B int) {
	for count := 0; count < n; count++ {
		if count+1 > 8 && count+1 > 13*((1<<B)/2) {
			B++
			grows++
		}
	}
	return grows, B
}

var kept [100]map[int]int

// Node: a named value type, so a map's type name carries its package (map[string]*main.Node).
type Node struct {
	id   int
	next *Node
}

var ints map[int]int
var nodes map[string]*Node

// types fills a map of each type with n keys and prints "map ADDR TYPE" for each.
//
//go:noinline
func types(n int) {
	ints = make(map[int]int)
	nodes = make(map[string]*Node)
	var prev *Node
	for i := 0; i < n; i++ {
		ints[i] = i
		prev = &Node{id: i, next: prev}
		nodes["k"+strconv.Itoa(i)] = prev
	}
	fmt.Printf("map %p %T %d\n", ints, ints, len(ints))
	fmt.Printf("map %p %T %d\n", nodes, nodes, len(nodes))
}

// small makes n maps the way a decoder or a request handler does: each escapes (it is kept for
// a while), holds one key and never grows, so runtime.makemap_small makes every one.
//
//go:noinline
func small(n int) int {
	keys := 0
	for i := 0; i < n; i++ {
		m := make(map[int]int)
		m[i] = i
		kept[i%len(kept)] = m
		keys += len(m)
	}
	return keys
}

func main() {
	if len(os.Args) == 3 && os.Args[1] == "small" {
		n, err := strconv.Atoi(os.Args[2])
		if err != nil || n < 0 {
			fmt.Fprintf(os.Stderr, "gogrow: bad map count %q; give a number >= 0\n", os.Args[2])
			os.Exit(2)
		}
		t0 := time.Now()
		keys := small(n)
		elapsed := time.Since(t0)
		var ru syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		// the loop's time, and the whole process's CPU time so far (user + system)
		fmt.Fprintf(os.Stderr, "small_ns %d cpu_ns %d\n", elapsed.Nanoseconds(),
			syscall.TimevalToNsec(ru.Utime)+syscall.TimevalToNsec(ru.Stime))
		fmt.Println("small", n, "maps", keys, "keys")
		return
	}
	if len(os.Args) == 3 && os.Args[1] == "types" {
		n, err := strconv.Atoi(os.Args[2])
		if err != nil || n < 0 {
			fmt.Fprintf(os.Stderr, "gogrow: bad key count %q; give a number >= 0\n", os.Args[2])
			os.Exit(2)
		}
		types(n)
		return
	}
	n := 100000
	if len(os.Args) > 1 {
		v, err := strconv.Atoi(os.Args[1])
		if err != nil || v < 0 {
			fmt.Fprintf(os.Stderr, "gogrow: bad key count %q; give a number >= 0\n", os.Args[1])
			os.Exit(2)
		}
		n = v
	}
	grown = make(map[int]int)
	hinted = make(map[int]int, n)
	grows, B := ruleGrows(n)
	fmt.Println("grown", fill(grown, n))
	fmt.Println("hinted", fill(hinted, n))
	fmt.Println("rule", grows, "grows to B", B)
	sum := 0
	for k, v := range grown {
		sum += k + v - hinted[k]
	}
	fmt.Println("check", sum)
	churned = make(map[int]int)
	fmt.Println("churned", churn(churned, 6000, 1000000))
	if os.Getenv("GOMAP_WAIT") != "" {
		fmt.Println("waiting")
		io.Copy(io.Discard, os.Stdin)
	}
}
