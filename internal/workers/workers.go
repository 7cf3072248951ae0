// Package workers runs independent work items on all cores.
package workers

import (
	"context"
	"runtime"
	"sync"
)

// Do calls fn(0), …, fn(n-1) on up to GOMAXPROCS goroutines and returns when all have
// returned. fn must be safe to call concurrently for different i.
func Do(n int, fn func(i int)) { _ = DoContext(context.Background(), n, fn) }

// DoContext is [Do] that stops handing out items once ctx is done: it returns ctx's error
// when some items were never started (items already running finish; fn should watch ctx
// itself to stop early), nil when every item ran. ctx may be nil (never done).
func DoContext(ctx context.Context, n int, fn func(i int)) error {
	if ctx == nil {
		ctx = context.Background()
	}
	done := ctx.Done()
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 {
		for i := range n {
			if done != nil && ctx.Err() != nil {
				return ctx.Err()
			}
			fn(i)
		}
		return nil
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
	var err error
feed:
	for i := range n {
		select {
		case next <- i:
		case <-done:
			err = ctx.Err()
			break feed
		}
	}
	close(next)
	wg.Wait()
	return err
}
