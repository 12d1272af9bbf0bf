// A small Go program for maptrace's Go tests: it grows a map from empty, fills one made with a
// size hint, and contends on a sync.Mutex, then prints what it computed so a traced and an
// untraced run can be compared.  Built twice by the Makefile: with symbols, and stripped
// (-ldflags=-s), which leaves only .gopclntab.
//
// Usage: gomap [N]   (N keys, 100000 by default); with GOMAP_WAIT set in the environment it
// then waits for end of input before it exits, for tests that read a live Go process.
package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
)

//go:noinline
func fill(m map[int]int, n int) int {
	for i := 0; i < n; i++ {
		m[i] = i * 2
	}
	return len(m)
}

//go:noinline
func contend(workers, rounds int) int {
	var mu sync.Mutex
	var wg sync.WaitGroup
	total := 0
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := 0; r < rounds; r++ {
				mu.Lock()
				total++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return total
}

func main() {
	n := 100000
	if len(os.Args) > 1 {
		v, err := strconv.Atoi(os.Args[1])
		if err != nil || v < 0 {
			fmt.Fprintf(os.Stderr, "gomap: bad key count %q; give a number >= 0\n", os.Args[1])
			os.Exit(2)
		}
		n = v
	}
	grown := make(map[int]int)
	hinted := make(map[int]int, n)
	fmt.Println("grown", fill(grown, n))
	fmt.Println("hinted", fill(hinted, n))
	fmt.Println("locked", contend(4, 1000))
	if os.Getenv("GOMAP_WAIT") != "" {
		io.Copy(io.Discard, os.Stdin)
	}
}
