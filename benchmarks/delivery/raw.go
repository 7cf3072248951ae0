package main

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	workclient "open-cluster-management.io/api/client/work/clientset/versioned"
	workv1 "open-cluster-management.io/api/work/v1"
)

// counterAnnotation changes on every raw write, so that no update is a no-op for the API server.
const counterAnnotation = "bench.wecforge.io/counter"

// rawWriterCounts are the concurrencies tried for the raw limit.
var rawWriterCounts = []int{1, 4, 16, 64}

// rawResult is the rate of one concurrency.
type rawResult struct {
	Writers int
	Rate    float64 // updates per second
}

// rawLimit updates every work once per concurrency in rawWriterCounts with a typed client
// whose rate limiting is off (client must be built so), each update setting a new counter
// annotation, and returns every rate measured. works is updated in place to the objects the
// server returned, so each round starts from current resource versions.
// report, when set, hears each result with the CPU meter's reading for it (meter starts one).
func rawLimit(ctx context.Context, client workclient.Interface, works []*workv1.ManifestWork,
	report func(rawResult, string), meter func(*transport) *cpuMeter) ([]rawResult, error) {
	var out []rawResult
	for round, writers := range rawWriterCounts {
		cpu := meter(nil)
		start := time.Now()
		err := parallel(ctx, len(works), writers, func(ctx context.Context, i int) error {
			mw := works[i].DeepCopy()
			if mw.Annotations == nil {
				mw.Annotations = map[string]string{}
			}
			mw.Annotations[counterAnnotation] = strconv.Itoa(round + 1)
			got, err := client.WorkV1().ManifestWorks(mw.Namespace).Update(ctx, mw, metav1.UpdateOptions{})
			if err != nil {
				return fmt.Errorf("raw update %s/%s: %w", mw.Namespace, mw.Name, err)
			}
			works[i] = got
			return nil
		})
		elapsed := time.Since(start)
		if err != nil {
			return out, err
		}
		r := rawResult{Writers: writers, Rate: float64(len(works)) / elapsed.Seconds()}
		if report != nil {
			report(r, cpu.since())
		}
		out = append(out, r)
	}
	return out, nil
}

// best is the highest rate of results.
func best(results []rawResult) rawResult {
	if len(results) == 0 {
		return rawResult{}
	}
	return slices.MaxFunc(results, func(a, b rawResult) int {
		switch {
		case a.Rate < b.Rate:
			return -1
		case a.Rate > b.Rate:
			return 1
		}
		return 0
	})
}
