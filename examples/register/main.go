// Command register walks one WEC through its life on an OCM hub with wecforge's registry
// helpers: bootstrap token, join command and bootstrap kubeconfig, (optionally simulated) agent
// registration, accept, labels, properties, status, Inventory events and deregistration.
//
// Usage:
//
//	go run ./examples/register [--kubeconfig FILE] [--context NAME] --wec NAME
//	    [--simulate-agent] [--install-bootstrap] [--install-rbac] [--split-roles]
//	    [--keep] [--timeout 5m]
//
// Against a real hub, run the printed clusteradm join command on the WEC and this program
// accepts the WEC when its agent's CSR arrives. Where no agent can run (a bare API server with
// OCM's CRDs), --simulate-agent registers as OCM's agent would, with the bootstrap token, and
// --install-bootstrap creates the bootstrap identity as clusteradm init would.
//
// With --split-roles each step runs as the identity of its registry role, by impersonating the
// ServiceAccounts that registry's rbac.yaml binds (the kubeconfig's user must be allowed to
// impersonate them): the token as wecforge-joining, the accept as wecforge-accepting, labels,
// properties, status, inventory and deregistration as wecforge-operating. --install-rbac
// applies rbac.yaml and those ServiceAccounts first.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/wecforge/wecforge/internal/agentsim"
	"github.com/wecforge/wecforge/registry"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "register:", err)
		os.Exit(1)
	}
}

// config is the parsed command line.
type config struct {
	kubeconfig, context, wec, bootstrapSA string
	simulate, install, installRBAC, split bool
	keep                                  bool
	timeout                               time.Duration
}

func parseFlags(args []string, out io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("register", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&c.kubeconfig, "kubeconfig", "", "hub kubeconfig (default: $KUBECONFIG or ~/.kube/config)")
	fs.StringVar(&c.context, "context", "", "kubeconfig context (default: current)")
	fs.StringVar(&c.wec, "wec", "", "WEC (ManagedCluster) name")
	fs.StringVar(&c.bootstrapSA, "bootstrap-sa", registry.BootstrapServiceAccount, "bootstrap ServiceAccount in "+registry.BootstrapNamespace)
	fs.BoolVar(&c.simulate, "simulate-agent", false, "register as OCM's agent would, instead of waiting for a real one")
	fs.BoolVar(&c.install, "install-bootstrap", false, "create the bootstrap identity as clusteradm init would")
	fs.BoolVar(&c.installRBAC, "install-rbac", false, "apply registry's rbac.yaml and the ServiceAccounts it binds")
	fs.BoolVar(&c.split, "split-roles", false, "run each step as the ServiceAccount of its registry role (impersonation)")
	fs.BoolVar(&c.keep, "keep", false, "leave the WEC registered at the end")
	fs.DurationVar(&c.timeout, "timeout", 5*time.Minute, "how long to wait for the agent")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if c.wec == "" {
		return c, errors.New("--wec is required")
	}
	return c, nil
}

func restConfig(c config) (*rest.Config, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = c.kubeconfig
	return clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules,
		&clientcmd.ConfigOverrides{CurrentContext: c.context}).ClientConfig()
}

// lockedWriter serializes writes: the inventory's events print from their own goroutine.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func run(ctx context.Context, args []string, w io.Writer) error {
	out := &lockedWriter{w: w}
	c, err := parseFlags(args, out)
	if err != nil {
		return err
	}
	cfg, err := restConfig(c)
	if err != nil {
		return fmt.Errorf("load kubeconfig: %w", err)
	}
	admin, err := newHubClients(cfg)
	if err != nil {
		return err
	}
	if c.install {
		if err := agentsim.InstallBootstrap(ctx, admin.kube); err != nil {
			return err
		}
	}
	if c.installRBAC {
		if err := agentsim.InstallRBAC(ctx, admin.kube); err != nil {
			return err
		}
	}
	ids := identities{joining: admin, accepting: admin, operating: admin}
	if c.split {
		if ids, err = splitIdentities(ctx, cfg); err != nil {
			return err
		}
		fmt.Fprintln(out, "running each step as its role's ServiceAccount in", registry.RBACSubjectNamespace)
	}

	// Watch the WEC from the start: every step below shows up as an event.
	invCtx, stopInventory := context.WithCancel(ctx)
	defer stopInventory()
	inv, err := registry.NewInventory(ids.operating.kube, ids.operating.ocm, registry.InventoryOptions{
		Handler: func(ev registry.Event) {
			if ev.Name == c.wec {
				fmt.Fprintf(out, "  event %s %s labels=%v configMap=%v properties=%v\n",
					ev.Type, ev.Name, ev.Delta.Labels, ev.Delta.ConfigMap, ev.Delta.Properties)
			}
		},
	})
	if err != nil {
		return err
	}
	invDone := make(chan error, 1)
	go func() { invDone <- inv.Run(invCtx) }()
	if !inv.WaitForSync(ctx) {
		return errors.New("inventory did not sync")
	}

	if err := join(ctx, c, cfg, ids, out); err != nil {
		return err
	}
	if err := configure(ctx, c, ids.operating, inv, out); err != nil {
		return err
	}
	if !c.keep {
		if err := registry.Deregister(ctx, ids.operating.kube, ids.operating.ocm, c.wec, registry.DeregisterOptions{}); err != nil {
			return err
		}
		if err := waitFor(ctx, 10*time.Second, func() bool { _, ok := inv.Get(c.wec); return !ok }); err != nil {
			return fmt.Errorf("inventory still holds %s: %w", c.wec, err)
		}
		fmt.Fprintln(out, "deregistered", c.wec)
	}
	stopInventory()
	return <-invDone
}
