package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clusterclient "open-cluster-management.io/api/client/cluster/clientset/versioned"

	"github.com/wecforge/wecforge/internal/agentsim"
	"github.com/wecforge/wecforge/registry"
)

// join issues the token, prints the join material, lets the agent register (simulated or real)
// and accepts the WEC.
func join(ctx context.Context, c config, cfg *rest.Config, kube kubernetes.Interface, ocm clusterclient.Interface, out io.Writer) error {
	tok, err := registry.BootstrapToken(ctx, kube, registry.TokenOptions{ServiceAccount: c.bootstrapSA})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "token from %s, expires %s\n", tok.Source, tok.ExpiresAt.UTC().Format(time.RFC3339))
	hub, err := registry.HubFromRESTConfig(cfg)
	if err != nil {
		return err
	}
	args, err := registry.JoinCommand(hub, "<token>", c.wec, registry.JoinOptions{Wait: true})
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "join command (on the WEC):", registry.ShellQuote(args))
	bootstrap, err := registry.BootstrapKubeconfig(hub, tok.Value, c.wec)
	if err != nil {
		return err
	}

	if c.simulate {
		agentCfg, err := clientcmd.RESTConfigFromKubeConfig(bootstrap)
		if err != nil {
			return err
		}
		agentKube, err := kubernetes.NewForConfig(agentCfg)
		if err != nil {
			return err
		}
		agentOCM, err := clusterclient.NewForConfig(agentCfg)
		if err != nil {
			return err
		}
		csr, err := agentsim.Register(ctx, agentKube, agentOCM, agentsim.Request{Cluster: c.wec, Agent: "example-agent"})
		if err != nil {
			return err
		}
		fmt.Fprintln(out, "simulated agent created CSR", csr)
	} else {
		fmt.Fprintf(out, "waiting up to %s for the agent of %s to register\n", c.timeout, c.wec)
	}

	var res registry.AcceptResult
	err = waitFor(ctx, c.timeout, func() bool {
		res, err = registry.Accept(ctx, kube, ocm, c.wec, registry.AcceptOptions{})
		return err == nil || !retryable(err)
	})
	if err == nil && !res.Accepted {
		err = errors.New("not accepted")
	}
	if err != nil {
		return fmt.Errorf("accept %s: %w", c.wec, err)
	}
	fmt.Fprintf(out, "accepted %s: approved %v, already approved %v, rejected %d\n",
		c.wec, res.Approved, res.AlreadyApproved, len(res.Rejected))
	return nil
}

// retryable reports whether Accept may succeed later: the agent has not registered yet.
func retryable(err error) bool {
	return errors.Is(err, registry.ErrNoCSR) || apierrors.IsNotFound(err)
}

// configure labels the WEC, writes its properties and shows status and the inventory snapshot.
func configure(ctx context.Context, c config, kube kubernetes.Interface, ocm clusterclient.Interface, inv *registry.Inventory, out io.Writer) error {
	if _, err := registry.Label(ctx, ocm, c.wec, map[string]string{"location-group": "edge", "region": "eu-west"}); err != nil {
		return err
	}
	fmt.Fprintln(out, "labelled", c.wec)
	if _, err := registry.UpdateProperties(ctx, kube, c.wec, map[string]string{"region": "eu-west-1", "replicas": "2"}); err != nil {
		return err
	}
	fmt.Fprintln(out, "properties written")
	if _, err := registry.Unlabel(ctx, ocm, c.wec, "location-group"); err != nil {
		return err
	}
	st, err := registry.GetStatus(ctx, ocm, c.wec)
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "status:", st)

	err = waitFor(ctx, 10*time.Second, func() bool {
		w, ok := inv.Get(c.wec)
		return ok && w.ConfigMapData()["replicas"] == "2" && w.Labels()["location-group"] == ""
	})
	if err != nil {
		return fmt.Errorf("inventory did not catch up: %w", err)
	}
	w, _ := inv.Get(c.wec)
	props := w.Properties()
	for _, k := range slices.Sorted(maps.Keys(props)) {
		v, _ := w.Lookup(k)
		src, _ := w.SourceOf(k)
		fmt.Fprintf(out, "  property %s=%s (from %s)\n", k, v, src)
	}
	return nil
}

// waitFor polls cond every 100 ms until it holds, ctx ends or timeout passes.
func waitFor(ctx context.Context, timeout time.Duration, cond func() bool) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
	return nil
}
