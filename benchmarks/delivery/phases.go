package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/wecforge/wecforge/examples/transport/loop"
)

// Generous bounds: the machine may be shared and heavily loaded.
const (
	phaseTimeout = 30 * time.Minute
	// quiet is how long the transport must record nothing new to count as idle.
	quiet = 3 * time.Second
)

// changedImage is the image the fleet-wide edit sets; the demo rule rewrites its registry per
// WEC region.
const changedImage = "registry.wds.example/team/web:1.1"

// readObjects reads workload files with the transport's own loader.
func readObjects(path string) ([]*unstructured.Unstructured, error) {
	objs, _, err := loop.ReadObjects(path)
	return objs, err
}

// sumWrites adds the writes of the records among events, and returns the first record error.
func sumWrites(events []event) (int, error) {
	total := 0
	for _, e := range events {
		if e.Kind != "record" {
			continue
		}
		total += e.Writes
		if e.Err != "" {
			return total, fmt.Errorf("transport: %s: %s", e.Cause, e.Err)
		}
	}
	return total, nil
}

// waitQuiet waits until the transport has printed nothing new for quiet.
func waitQuiet(ctx context.Context, t *transport) error {
	last, since := -1, time.Now()
	return t.waitFor(ctx, "the transport to be idle", phaseTimeout, func(ev []event) bool {
		if len(ev) != last {
			last, since = len(ev), time.Now()
			return false
		}
		return time.Since(since) >= quiet
	})
}

// initialDelivery waits until the transport has created one ManifestWork per WEC and is idle,
// and checks the hub holds exactly those.
func initialDelivery(ctx context.Context, h *hub, t *transport, n int) error {
	err := t.waitFor(ctx, "the initial delivery", phaseTimeout, func(ev []event) bool {
		w, _ := sumWrites(ev)
		return w >= n
	})
	if err != nil {
		return err
	}
	if err := waitQuiet(ctx, t); err != nil {
		return err
	}
	// More than n writes is allowed here: a WEC delivered twice while the transport's work
	// cache has not yet seen its first create takes the work over with a no-op update.
	if w, err := sumWrites(t.snapshot()); err != nil || w < n {
		return errors.Join(fmt.Errorf("initial delivery: %d writes, want at least %d", w, n), err)
	}
	gens, err := h.generations(ctx)
	if err != nil {
		return err
	}
	if len(gens) != n {
		return fmt.Errorf("initial delivery: %d ManifestWorks on the hub, want %d", len(gens), n)
	}
	return nil
}

// generations maps every ManifestWork's namespace to its generation, checking that each WEC
// namespace holds exactly one.
func (h *hub) generations(ctx context.Context) (map[string]int64, error) {
	works, err := h.works(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]int64, len(works))
	for _, mw := range works {
		if _, dup := out[mw.Namespace]; dup {
			return nil, fmt.Errorf("WEC %s has more than one ManifestWork", mw.Namespace)
		}
		out[mw.Namespace] = mw.Generation
	}
	return out, nil
}

// fleetChange edits the source Deployment's image and returns how many works the transport
// wrote for it and the wall time from its observing the edit to the end of its processing. It
// checks that every WEC's ManifestWork was updated exactly once.
func fleetChange(ctx context.Context, h *hub, t *transport, n int) (int, time.Duration, error) {
	before, err := h.generations(ctx)
	if err != nil {
		return 0, 0, err
	}
	from := len(t.snapshot())
	meter := h.meter(t)
	if err := h.setImage(ctx, "web", changedImage); err != nil {
		return 0, 0, err
	}
	var obs, rec event
	err = t.waitFor(ctx, "the fleet-wide change", phaseTimeout, func(ev []event) bool {
		obs, rec = event{}, event{}
		for _, e := range ev[from:] {
			switch {
			case e.Kind == "observed" && obs.At == 0:
				obs = e
			case e.Kind == "record" && e.Cause == "objects" && obs.At != 0 && e.At >= obs.At:
				rec = e
				return true
			}
		}
		return false
	})
	if err != nil {
		return 0, 0, err
	}
	logf(n, "fleet-wide change: CPU used until processed: %s", meter.since())
	if rec.Err != "" {
		return 0, 0, fmt.Errorf("fleet-wide change: %s", rec.Err)
	}
	if err := waitQuiet(ctx, t); err != nil {
		return 0, 0, err
	}
	if w, err := sumWrites(t.snapshot()[from:]); err != nil || w != rec.Writes {
		return 0, 0, errors.Join(fmt.Errorf("fleet-wide change: %d writes in all, %d in its processing", w, rec.Writes), err)
	}
	after, err := h.generations(ctx)
	if err != nil {
		return 0, 0, err
	}
	if err := sameWorks(before, after, n, func(string) bool { return true }); err != nil {
		return 0, 0, fmt.Errorf("fleet-wide change: %w", err)
	}
	if rec.Writes != n {
		return 0, 0, fmt.Errorf("fleet-wide change: %d writes, want %d", rec.Writes, n)
	}
	return rec.Writes, rec.time().Sub(obs.time()), nil
}

// onePercentChange changes the properties of 1 % of the WECs (spread over the fleet) and
// checks that exactly their ManifestWorks are written, once each.
func onePercentChange(ctx context.Context, h *hub, t *transport, n int) error {
	k := max(1, n/100)
	changed := map[string]bool{}
	var idx []int
	for j := range k {
		i := j * (n / k)
		idx = append(idx, i)
		changed[wecName(i)] = true
	}
	before, err := h.generations(ctx)
	if err != nil {
		return err
	}
	from := len(t.snapshot())
	err = parallel(ctx, len(idx), fixtureWriters, func(ctx context.Context, j int) error {
		return h.setZone(ctx, idx[j], 1)
	})
	if err != nil {
		return err
	}
	err = t.waitFor(ctx, "the 1% change", phaseTimeout, func(ev []event) bool {
		done := map[string]bool{}
		for _, e := range ev[from:] {
			if e.Kind == "record" && e.Writes > 0 {
				done[strings.TrimPrefix(e.Cause, "wec ")] = true
			}
		}
		for w := range changed {
			if !done[w] {
				return false
			}
		}
		return true
	})
	if err != nil {
		return err
	}
	if err := waitQuiet(ctx, t); err != nil {
		return err
	}
	if w, err := sumWrites(t.snapshot()[from:]); err != nil || w != k {
		return errors.Join(fmt.Errorf("1%% change: %d writes, want %d", w, k), err)
	}
	after, err := h.generations(ctx)
	if err != nil {
		return err
	}
	if err := sameWorks(before, after, n, func(w string) bool { return changed[w] }); err != nil {
		return fmt.Errorf("1%% change: %w", err)
	}
	return nil
}

// sameWorks checks that after holds the n WECs of before, that the WECs for which changed
// holds went up exactly one generation, and that the others did not change.
func sameWorks(before, after map[string]int64, n int, changed func(string) bool) error {
	if len(before) != n || len(after) != n {
		return fmt.Errorf("%d ManifestWorks before and %d after, want %d", len(before), len(after), n)
	}
	var bad []string
	for w, g := range before {
		want := g
		if changed(w) {
			want++
		}
		if got, ok := after[w]; !ok || got != want {
			bad = append(bad, fmt.Sprintf("%s: generation %d → %d, want %d", w, g, got, want))
		}
	}
	if len(bad) > 0 {
		if len(bad) > 10 {
			bad = append(bad[:10], fmt.Sprintf("and %d more", len(bad)-10))
		}
		return errors.New(strings.Join(bad, "; "))
	}
	return nil
}
