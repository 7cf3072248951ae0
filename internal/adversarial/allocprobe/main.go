// Command allocprobe runs cases of the adversarial catalogue and prints, per case, the bytes
// the Go heap allocated while it ran (runtime.MemStats.TotalAlloc delta), one "name bytes"
// line each. The catalogue's test builds it without the race detector (whose shadow memory
// would dwarf the numbers) and checks the figures.
//
//	allocprobe [case ...]   # no argument: every case
package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"slices"

	"github.com/wecforge/wecforge/internal/adversarial"
)

func main() {
	cases, err := adversarial.Load()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var ms runtime.MemStats
	for _, c := range cases {
		if len(os.Args) > 1 && !slices.Contains(os.Args[1:], c.Name) {
			continue
		}
		runtime.GC()
		runtime.ReadMemStats(&ms)
		before := ms.TotalAlloc
		err := adversarial.Run(context.Background(), c)
		runtime.ReadMemStats(&ms)
		fmt.Printf("%s %d %s\n", c.Name, ms.TotalAlloc-before, adversarial.Classify(err))
	}
}
