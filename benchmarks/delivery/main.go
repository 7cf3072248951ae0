package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	workv1 "open-cluster-management.io/api/work/v1"
)

// options are the flags of a measurement run.
type options struct {
	sizes    []int
	binDir   string
	crds     []string
	testdata string
	workDir  string
	workers  int
	qps      float64
	keep     bool
	profile  string
	cache    bool
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == transportCommand {
		if err := runTransport(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "transport:", err)
			os.Exit(1)
		}
		return
	}
	opts, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench-delivery:", err)
		os.Exit(2)
	}
	ctx := context.Background()
	for _, n := range opts.sizes {
		m, err := runSize(ctx, opts, n)
		if err != nil {
			fmt.Fprintf(os.Stderr, "bench-delivery: %d WECs: %v\n", n, err)
			os.Exit(1)
		}
		fmt.Println(m)
	}
}

func parseFlags(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("bench-delivery", flag.ContinueOnError)
	sizes := fs.String("sizes", "1000,5000", "fleet sizes, comma-separated")
	fs.StringVar(&o.binDir, "bin-dir", "hack/bin/assets", "folder holding etcd and kube-apiserver")
	ocm := fs.String("ocm-api-dir", "", "folder of the open-cluster-management.io/api module (its CRDs)")
	fs.StringVar(&o.testdata, "testdata", "examples/transport/testdata", "folder with the demo config.yaml, namespace.yaml and workload.yaml")
	fs.StringVar(&o.workDir, "work-dir", "", "folder for the planes' data and logs (default: a temporary folder, removed)")
	fs.IntVar(&o.workers, "workers", 0, "transport workers (0: loop's default)")
	fs.Float64Var(&o.qps, "qps", 0, "transport client QPS (0: delivery.ClientConfig's default)")
	fs.BoolVar(&o.cache, "cache", true, "the transport reads current ManifestWorks from a delivery.CachedLister (false: a list per Apply)")
	fs.BoolVar(&o.keep, "keep", false, "keep the work folder")
	fs.StringVar(&o.profile, "cpuprofile", "", "write the transport's CPU profile of size N to this path followed by -N")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	for s := range strings.SplitSeq(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 100 || n > 100_000 {
			return o, fmt.Errorf("-sizes: %q is not a fleet size in 100..100000", s)
		}
		o.sizes = append(o.sizes, n)
	}
	if *ocm == "" {
		return o, errors.New("-ocm-api-dir is required (go list -m -f '{{.Dir}}' open-cluster-management.io/api)")
	}
	for _, f := range []string{
		"cluster/v1/0000_00_clusters.open-cluster-management.io_managedclusters.crd.yaml",
		"work/v1/0000_00_work.open-cluster-management.io_manifestworks.crd.yaml",
	} {
		o.crds = append(o.crds, filepath.Join(*ocm, filepath.FromSlash(f)))
	}
	return o, nil
}

// runSize measures one fleet size on a fresh hub.
func runSize(ctx context.Context, o options, n int) (Measurement, error) {
	m := Measurement{WECs: n}
	dir := o.workDir
	if dir == "" {
		d, err := os.MkdirTemp("", "wecforge-bench-delivery-")
		if err != nil {
			return m, err
		}
		if !o.keep {
			defer os.RemoveAll(d)
		}
		dir = d
	}
	dir = filepath.Join(dir, strconv.Itoa(n))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return m, err
	}
	workload, err := readObjects(filepath.Join(o.testdata, "workload.yaml"))
	if err != nil {
		return m, err
	}
	step := stepper(n)
	h, err := startHub(ctx, dir, o.binDir, o.crds)
	if err != nil {
		return m, err
	}
	defer h.stop()
	step("hub ready")
	if err := h.createFleet(ctx, n); err != nil {
		return m, err
	}
	if err := h.createWorkload(ctx, workload); err != nil {
		return m, err
	}
	step("fixture created")

	args := []string{"-kubeconfig", h.plane.AdminKubeconfig,
		"-config", filepath.Join(o.testdata, "config.yaml"),
		"-namespace-file", filepath.Join(o.testdata, "namespace.yaml"),
		"-cache=" + strconv.FormatBool(o.cache),
		"-workers", strconv.Itoa(o.workers), "-qps", strconv.FormatFloat(o.qps, 'f', -1, 64)}
	if o.profile != "" {
		args = append(args, "-cpuprofile", o.profile+"-"+strconv.Itoa(n))
	}
	t, err := startTransport(filepath.Join(dir, "logs", "transport.log"), args...)
	if err != nil {
		return m, err
	}
	defer t.stop(15 * time.Second)
	if err := initialDelivery(ctx, h, t, n); err != nil {
		return m, err
	}
	step("initial delivery done")

	if m.Works, m.Wall, err = fleetChange(ctx, h, t, n); err != nil {
		return m, err
	}
	step(fmt.Sprintf("fleet-wide change: %d works in %.1fs", m.Works, m.Wall.Seconds()))
	if err := onePercentChange(ctx, h, t, n); err != nil {
		return m, err
	}
	step("1% change wrote only its works")
	if m.RSS, err = peakRSS(t.pid()); err != nil {
		return m, fmt.Errorf("transport peak RSS: %w", err)
	}
	t.stop(15 * time.Second)

	all, err := h.works(ctx)
	if err != nil {
		return m, err
	}
	works := make([]*workv1.ManifestWork, 0, len(all))
	for _, k := range slices.Sorted(maps.Keys(all)) {
		works = append(works, all[k])
	}
	results, err := rawLimit(ctx, h.work, works, func(r rawResult, cpu string) {
		logf(n, "raw %2d writers: %.0f writes/s; CPU used: %s", r.Writers, r.Rate, cpu)
	}, h.meter)
	if err != nil {
		return m, err
	}
	m.RawWritesPerSec = best(results).Rate
	return m, nil
}

// stepper returns a function that logs a step of size n with the time since the previous one.
func stepper(n int) func(string) {
	last := time.Now()
	return func(what string) {
		now := time.Now()
		logf(n, "%s (%.1fs)", what, now.Sub(last).Seconds())
		last = now
	}
}

// logf prints a progress line of size n on stderr.
func logf(n int, format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench-delivery: %d WECs: %s\n", n, fmt.Sprintf(format, args...))
}
