// Package workers runs independent work items on all cores.
package workers

import (
	"runtime"
	"sync"
)

// Do calls fn(0), …, fn(n-1) on up to GOMAXPROCS goroutines and returns when all have
// returned. fn must be safe to call concurrently for different i.
func Do(n int, fn func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 {
		for i := range n {
			fn(i)
		}
		return
	}
	var wg sync.WaitGroup
	next := make(chan int, workers)
	for range workers {
		wg.Go(func() {
			for i := range next {
				fn(i)
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}
