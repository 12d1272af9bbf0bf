// gosyncmap: a sync.Map's misses and promotions, counted by the program itself, for maptrace's
// Go tests.  One goroutine stores and loads keys in rounds (a fixed random sequence); beside the
// map it keeps a mirror of Go 1.19's logic (src/sync/map.go): which keys the read-only snapshot
// holds, whether the dirty map has keys it lacks (amended), the dirty map's size and the miss
// count.  A Load of a key the snapshot lacks while the dirty map has more is a miss
// (missLocked); when the misses reach the dirty map's size, the dirty map is promoted to the
// snapshot.  After every operation the mirror is checked against the map's own misses field, so
// the counts printed are the map's.
//
// Every 7th round also ranges over the map, which promotes the dirty map when it has keys the
// snapshot lacks.
//
// Usage: gosyncmap [ROUNDS]  (30 by default); GOMAP_WAIT set: wait for input before exiting;
// GOSM_GATE set: read one line of input before starting (a tracer's probes can go in first).
package main

import (
	"fmt"
	"math/rand"
	"os"
	"strconv"
	"sync"
	"unsafe"
)

var m sync.Map

// Go 1.19's sync.Map: {mu Mutex; read atomic.Value; dirty map[any]*entry; misses int}
func ownMisses() int { return *(*int)(unsafe.Add(unsafe.Pointer(&m), 32)) }

type mirror struct {
	read     map[int]bool // keys in the read-only snapshot
	amended  bool         // the dirty map has keys the snapshot lacks
	dirtyLen int          // keys in the dirty map (a copy of the snapshot plus new keys)
	misses   int
	// totals
	allMisses, promotions, hits, rangePromotions int
	sizes []int // the dirty map's length at each promotion by missLocked, 0 for one by Range
}

// Range: the dirty map, when amended, becomes the snapshot first.
func (s *mirror) rangeAll(stored map[int]bool) {
	if !s.amended {
		return
	}
	s.promotions++
	s.rangePromotions++
	s.sizes = append(s.sizes, 0)
	s.dirtyLen, s.misses, s.amended = 0, 0, false
	for key := range stored {
		s.read[key] = true
	}
}

func (s *mirror) miss() {
	s.allMisses++
	s.misses++
	if s.misses < s.dirtyLen {
		return
	}
	// promoted: the dirty map becomes the snapshot, with every key stored so far
	s.promotions++
	s.sizes = append(s.sizes, s.dirtyLen)
	s.dirtyLen, s.misses, s.amended = 0, 0, false
}

func (s *mirror) load(k int, stored map[int]bool) {
	if s.read[k] {
		s.hits++
		return
	}
	if s.amended {
		before := s.promotions
		s.miss()
		if s.promotions > before {
			for key := range stored {
				s.read[key] = true
			}
		}
	}
}

func (s *mirror) store(k int) {
	if s.read[k] {
		return // updated in the snapshot's entry, no lock
	}
	if !s.amended {
		// the dirty map starts as a copy of the snapshot (nothing is ever deleted here)
		s.dirtyLen = len(s.read)
		s.amended = true
	}
	s.dirtyLen++ // a new key (each key is stored once before it is loaded again)
}

func main() {
	rounds := 30
	if len(os.Args) > 1 {
		v, err := strconv.Atoi(os.Args[1])
		if err != nil || v < 0 {
			fmt.Fprintf(os.Stderr, "gosyncmap: bad round count %q; give a number >= 0\n", os.Args[1])
			os.Exit(2)
		}
		rounds = v
	}
	fmt.Printf("syncmap %p\n", &m)
	if os.Getenv("GOSM_GATE") != "" {
		var b [1]byte
		for n, _ := os.Stdin.Read(b[:]); n == 1 && b[0] != '\n'; n, _ = os.Stdin.Read(b[:]) {
		}
	}
	r := rand.New(rand.NewSource(1))
	s := &mirror{read: map[int]bool{}}
	stored := map[int]bool{}
	next := 0
	for i := 0; i < rounds; i++ {
		// new keys: the dirty map grows past the snapshot
		for j := r.Intn(12); j >= 0; j-- {
			m.Store(next, next)
			s.store(next)
			stored[next] = true
			next++
		}
		// loads of stored keys, some in the snapshot, some only in the dirty map, and of
		// keys never stored
		for j := r.Intn(150); j >= 0; j-- {
			k := r.Intn(next + next/4 + 1)
			m.Load(k)
			s.load(k, stored)
			if i%7 == 6 && j == 0 {
				// Range promotes a dirty map that has keys the snapshot lacks
				n := 0
				m.Range(func(k, v any) bool { n++; return true })
				s.rangeAll(stored)
			}
			if ownMisses() != s.misses {
				fmt.Fprintf(os.Stderr, "gosyncmap: the mirror is wrong: %d misses, the map has %d\n",
					s.misses, ownMisses())
				os.Exit(1)
			}
		}
	}
	fmt.Printf("misses %d promotions %d hits %d keys %d\n", s.allMisses, s.promotions, s.hits, next)
	fmt.Printf("promotions_by_range %d\n", s.rangePromotions)
	fmt.Printf("promotion_sizes")
	for _, n := range s.sizes {
		fmt.Printf(" %d", n)
	}
	fmt.Println()
	if os.Getenv("GOMAP_WAIT") != "" {
		fmt.Println("waiting")
		var b [1]byte
		os.Stdin.Read(b[:])
	}
}
