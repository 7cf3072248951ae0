package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"runtime/pprof"
	"sync"
	"syscall"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	clusterclient "open-cluster-management.io/api/client/cluster/clientset/versioned"
	workclient "open-cluster-management.io/api/client/work/clientset/versioned"

	"github.com/wecforge/wecforge/examples/transport/loop"
	"github.com/wecforge/wecforge/registry/delivery"
)

// transportCommand is the first argument that makes the binary run as the transport.
const transportCommand = "transport"

// sourceKey is the transport's source key.
const sourceKey = "bench"

// event is one line the transport process prints on stdout: a source change it observed
// ("observed") or a change it finished processing ("record", from loop.Controller.History).
type event struct {
	Kind   string `json:"kind"`
	At     int64  `json:"at"` // Unix nanoseconds
	Cause  string `json:"cause,omitempty"`
	Writes int    `json:"writes,omitempty"`
	Err    string `json:"err,omitempty"`
}

func (e event) time() time.Time { return time.Unix(0, e.At) }

// runTransport is the transport process: loop.New and Run on the hub of -kubeconfig, with the
// demo configuration, the namespace file as a static source and the source namespace watched
// on the same API server. It prints events on stdout until SIGTERM.
func runTransport(args []string) error {
	fs := flag.NewFlagSet(transportCommand, flag.ContinueOnError)
	kubeconfig := fs.String("kubeconfig", "", "hub kubeconfig")
	config := fs.String("config", "", "rules and CustomTransforms")
	namespaceFile := fs.String("namespace-file", "", "the workload's Namespace")
	workers := fs.Int("workers", 0, "loop.Config.Workers (0: its default)")
	qps := fs.Float64("qps", 0, "client QPS (0: delivery.ClientConfig's default; burst is twice it)")
	verbosity := fs.Int("v", 0, "log verbosity on stderr")
	cached := fs.Bool("cache", true, "read current ManifestWorks from a delivery.CachedLister instead of listing per Apply")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	cfg, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		return err
	}
	if *qps != 0 {
		cfg.QPS, cfg.Burst = float32(*qps), int(2**qps)
	}
	cfg = delivery.ClientConfig(cfg)
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	ocm, err := clusterclient.NewForConfig(cfg)
	if err != nil {
		return err
	}
	work, err := workclient.NewForConfig(cfg)
	if err != nil {
		return err
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return err
	}
	docs, _, err := loop.ReadObjects(*config)
	if err != nil {
		return err
	}
	pipeline, _, err := loop.BuildPipeline(docs)
	if err != nil {
		return err
	}
	nsObjs, _, err := loop.ReadObjects(*namespaceFile)
	if err != nil {
		return err
	}
	var dopts delivery.Options
	if *cached {
		l, err := delivery.NewCachedLister(work, 0)
		if err != nil {
			return err
		}
		lctx, cancel := context.WithCancel(ctx)
		defer cancel()
		go l.Run(lctx)
		if !l.WaitForSync(ctx) {
			return errors.New("ManifestWork cache did not sync")
		}
		dopts.Lister = l
	}
	deliverer, err := delivery.New(work, dopts)
	if err != nil {
		return err
	}
	out := &eventWriter{enc: json.NewEncoder(os.Stdout)}
	gvrs := make([]schema.GroupVersionResource, 0, len(sourceResources))
	for _, gvr := range sourceResources {
		gvrs = append(gvrs, gvr)
	}
	src := &observed{inner: loop.NewCluster(dyn, sourceNamespace, gvrs), out: out}
	log := funcr.New(func(prefix, args string) { fmt.Fprintln(os.Stderr, prefix, args) },
		funcr.Options{Verbosity: *verbosity, LogTimestamp: true})
	c, err := loop.New(loop.Config{
		Kube: kube, OCM: ocm, Deliverer: deliverer, Pipeline: pipeline,
		Source: loop.Sources{loop.Static(nsObjs), src}, SourceKey: sourceKey, Log: log,
		// No WEC leaves the fleet here; a long grace keeps the sweep out of the measurement.
		RelabelGrace: time.Hour, Workers: *workers,
	})
	if err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	return reportHistory(ctx, c, out, done, log)
}

// reportHistory prints every new History record until Run returns.
func reportHistory(ctx context.Context, c *loop.Controller, out *eventWriter, done <-chan error, log logr.Logger) error {
	var last *loop.Record
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	flush := func() {
		h := c.History()
		for _, r := range h[newRecords(h, last):] {
			e := event{Kind: "record", At: r.At.UnixNano(), Cause: r.Cause, Writes: r.Writes}
			if r.Err != nil {
				e.Err = r.Err.Error()
			}
			out.write(e)
		}
		if len(h) > 0 {
			last = &h[len(h)-1]
		}
	}
	ctxDone := ctx.Done()
	for {
		select {
		case err := <-done:
			flush()
			if err != nil {
				log.Error(err, "transport stopped")
			}
			return err
		case <-tick.C:
			flush()
		case <-ctxDone:
			// Run returns shortly; keep flushing until it does.
			ctxDone = nil
		}
	}
}

// newRecords returns the index in h of the first record after last, the newest one already
// printed (nil: none). History keeps only the newest loop.MaxHistory records, so the position
// of last moves once the window is full: it is found again by its contents, from the end.
func newRecords(h []loop.Record, last *loop.Record) int {
	if last == nil {
		return 0
	}
	for i := len(h) - 1; i >= 0; i-- {
		if sameRecord(h[i], *last) {
			return i + 1
		}
	}
	return 0 // every record is new (more than the window arrived since the last flush)
}

func sameRecord(a, b loop.Record) bool {
	return a.At.Equal(b.At) && a.Cause == b.Cause && a.Duration == b.Duration &&
		a.Rendered == b.Rendered && a.Skipped == b.Skipped && a.Writes == b.Writes &&
		a.Refused == b.Refused && errors.Is(a.Err, b.Err)
}

// eventWriter prints events as JSON lines; it is safe for concurrent use.
type eventWriter struct {
	mu  sync.Mutex
	enc *json.Encoder
}

func (w *eventWriter) write(e event) {
	w.mu.Lock()
	defer w.mu.Unlock()
	_ = w.enc.Encode(e)
}

// observed is a loop.Source that prints an "observed" event each time the source reports a
// change after its initial list.
type observed struct {
	inner loop.Source
	out   *eventWriter
}

func (o *observed) Objects() ([]*unstructured.Unstructured, error) { return o.inner.Objects() }

func (o *observed) Run(ctx context.Context, changed func()) error {
	first := true
	var mu sync.Mutex
	return o.inner.Run(ctx, func() {
		mu.Lock()
		initial := first
		first = false
		mu.Unlock()
		if !initial {
			o.out.write(event{Kind: "observed", At: time.Now().UnixNano()})
		}
		changed()
	})
}

// transport is the parent's handle on the transport process.
type transport struct {
	cmd  *exec.Cmd
	done chan struct{}

	mu     sync.Mutex
	events []event
	err    error // how reading its output ended
}

// startTransport re-executes this binary as the transport; its stderr goes to logPath.
func startTransport(logPath string, args ...string) (*transport, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, append([]string{transportCommand}, args...)...)
	cmd.Stderr = logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		logf.Close()
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	t := &transport{cmd: cmd, done: make(chan struct{})}
	go func() {
		defer close(t.done)
		defer logf.Close()
		t.read(stdout)
		werr := cmd.Wait()
		t.mu.Lock()
		t.err = errors.Join(t.err, werr)
		t.mu.Unlock()
	}()
	return t, nil
}

// maxLine bounds one line of the transport's output.
const maxLine = 1 << 20

func (t *transport) read(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxLine)
	for sc.Scan() {
		var e event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.mu.Lock()
			t.err = errors.Join(t.err, fmt.Errorf("transport output %q: %w", sc.Text(), err))
			t.mu.Unlock()
			continue
		}
		t.mu.Lock()
		t.events = append(t.events, e)
		t.mu.Unlock()
	}
	if err := sc.Err(); err != nil {
		t.mu.Lock()
		t.err = errors.Join(t.err, err)
		t.mu.Unlock()
	}
}

// pid is the transport's process id.
func (t *transport) pid() int { return t.cmd.Process.Pid }

// snapshot returns the events so far.
func (t *transport) snapshot() []event {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]event(nil), t.events...)
}

// waitFor polls the events every 50 ms until cond holds, the transport exits, or timeout.
func (t *transport) waitFor(ctx context.Context, what string, timeout time.Duration, cond func([]event) bool) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		if cond(t.snapshot()) {
			return nil
		}
		select {
		case <-t.done:
			t.mu.Lock()
			defer t.mu.Unlock()
			return fmt.Errorf("transport exited while waiting for %s: %w", what, t.err)
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", what, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// stop sends SIGTERM, then SIGKILL after grace, and waits for the process.
func (t *transport) stop(grace time.Duration) {
	_ = syscall.Kill(-t.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-t.done:
		return
	case <-time.After(grace):
	}
	_ = syscall.Kill(-t.cmd.Process.Pid, syscall.SIGKILL)
	<-t.done
}
