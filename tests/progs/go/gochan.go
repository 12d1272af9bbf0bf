// gochan: the Go runtime's own futex waits, under load.  16 producers send 5,000 freshly
// allocated slices each (1-2 KiB: garbage, so the collector runs often) through one small
// buffered channel to 16 consumers, on 8 Ps (GOMAXPROCS=8 on this 2-CPU machine: Ms park and
// wake all the time).  No sync.Mutex is contended and no map is used: every futex wait it makes
// is the runtime's (idle Ms in notesleep, runtime.lock2 on sched.lock and the channel's lock).
// Prints the items and bytes that went through, the same on every run.
package main

import (
	"fmt"
	"runtime"
	"sync"
)

const producers, consumers, items = 16, 16, 5000

func main() {
	runtime.GOMAXPROCS(8)
	ch := make(chan []byte, 4)
	sums := make(chan int, consumers)
	var wg sync.WaitGroup
	for p := 0; p < producers; p++ {
		wg.Add(1)
		go func(p int) {
			defer wg.Done()
			for i := 0; i < items; i++ {
				b := make([]byte, 1024+(p*items+i)%1024)
				b[0] = 1
				ch <- b
			}
		}(p)
	}
	for c := 0; c < consumers; c++ {
		go func() {
			n := 0
			for b := range ch {
				n += len(b) + int(b[0]) - 1
			}
			sums <- n
		}()
	}
	wg.Wait()
	close(ch)
	total := 0
	for c := 0; c < consumers; c++ {
		total += <-sums
	}
	fmt.Printf("items %d bytes %d\n", producers*items, total)
}
