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
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clusterclient "open-cluster-management.io/api/client/cluster/clientset/versioned"

	"github.com/wecforge/wecforge/internal/agentsim"
	"github.com/wecforge/wecforge/registry"
)

// hubClients are the typed hub clients of one identity.
type hubClients struct {
	kube kubernetes.Interface
	ocm  clusterclient.Interface
}

func newHubClients(cfg *rest.Config) (hubClients, error) {
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return hubClients{}, err
	}
	ocm, err := clusterclient.NewForConfig(cfg)
	if err != nil {
		return hubClients{}, err
	}
	return hubClients{kube: kube, ocm: ocm}, nil
}

// identities are the clients each registry role's steps use.
type identities struct{ joining, accepting, operating hubClients }

// splitIdentities impersonates the ServiceAccount of each role and waits until the API
// server's authorizer knows their bindings.
func splitIdentities(ctx context.Context, cfg *rest.Config) (identities, error) {
	var ids identities
	for role, dst := range map[registry.Role]*hubClients{
		registry.RoleJoining: &ids.joining, registry.RoleAccepting: &ids.accepting, registry.RoleOperating: &ids.operating,
	} {
		hc, err := newHubClients(agentsim.ImpersonateRole(cfg, role))
		if err != nil {
			return ids, err
		}
		*dst = hc
	}
	err := waitFor(ctx, 30*time.Second, func() bool {
		_, err := ids.operating.ocm.ClusterV1().ManagedClusters().List(ctx, metav1.ListOptions{Limit: 1})
		return !apierrors.IsForbidden(err)
	})
	if err != nil {
		return ids, fmt.Errorf("the operating role's bindings never took effect: %w", err)
	}
	return ids, nil
}

// join issues the token (joining role), prints the join material, lets the agent register
// (simulated or real) and accepts the WEC (accepting role).
func join(ctx context.Context, c config, cfg *rest.Config, ids identities, out io.Writer) error {
	tok, err := registry.BootstrapToken(ctx, ids.joining.kube, registry.TokenOptions{ServiceAccount: c.bootstrapSA})
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
		res, err = registry.Accept(ctx, ids.accepting.kube, ids.accepting.ocm, c.wec, registry.AcceptOptions{})
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

// configure labels the WEC, writes its properties and shows status and the inventory snapshot
// (operating role).
func configure(ctx context.Context, c config, op hubClients, inv *registry.Inventory, out io.Writer) error {
	kube, ocm := op.kube, op.ocm
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
