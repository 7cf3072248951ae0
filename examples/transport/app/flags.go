package app

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/wecforge/wecforge/examples/transport/loop"
	"github.com/wecforge/wecforge/registry/delivery"
	"github.com/wecforge/wecforge/registry/sharding"
)

// ErrUsage is wrapped by every error about the command line itself (unknown flag, bad value,
// flags that cannot work together); Main returns 2 for it.
var ErrUsage = errors.New("invalid command line")

// usageError wraps err so that errors.Is(err, ErrUsage) holds.
func usageError(format string, args ...any) error {
	return fmt.Errorf("%w: %w", ErrUsage, fmt.Errorf(format, args...))
}

type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// flags are the parsed command line.
type flags struct {
	hubKubeconfig    string
	sourceKubeconfig string
	sourceNamespace  string
	sourceResources  string
	files            listFlag
	configs          listFlag
	clusters         string
	sourceKey        string
	maxBytes         int
	verbosity        int
	relabelGrace     time.Duration
	shrinkAfter      time.Duration
	moveTimeout      time.Duration
	workers          int
	metricsAddr      string
	placement        string
	rediscover       time.Duration
	installCRDs      bool
	returnStatus     bool

	// sharding
	shardNamespace string
	identity       string
	shards         int
	leaseDuration  time.Duration
	leaseRenew     time.Duration
	leaseSkew      time.Duration

	set map[string]bool // flags given on the command line
}

// defaultIdentity is hostname-pid, unique per process on one host.
func defaultIdentity() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "transport"
	}
	return fmt.Sprintf("%s-%d", host, os.Getpid())
}

// parseFlags parses args (without the program name); usage and parse errors go to out. The error
// wraps ErrUsage (or is flag.ErrHelp for -h).
func parseFlags(args []string, out io.Writer) (flags, error) {
	var f flags
	fs := flag.NewFlagSet("transport", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&f.hubKubeconfig, "hub-kubeconfig", "", "kubeconfig of the OCM hub (required)")
	fs.StringVar(&f.sourceKubeconfig, "source-kubeconfig", "", "kubeconfig of a source API server (a WDS) to watch")
	fs.StringVar(&f.sourceNamespace, "source-namespace", "", "namespace to watch on the source API server")
	fs.StringVar(&f.sourceResources, "source-resources", "deployments.v1.apps,configmaps.v1", "resources to watch there, resource.version[.group], comma-separated")
	fs.Var(&f.files, "f", "file of workload objects (multi-document YAML); repeatable")
	fs.Var(&f.configs, "config", "file of CustomizationRule and CustomTransform documents; repeatable")
	fs.StringVar(&f.clusters, "clusters", "", "label selector choosing the target WECs (empty: all)")
	fs.StringVar(&f.sourceKey, "source-key", "transport", "name under which this controller's ManifestWorks are kept; with --shard-namespace also the name of the replica group (all replicas give the same)")
	fs.IntVar(&f.maxBytes, "max-bytes", delivery.DefaultMaxBytes, "size budget of one ManifestWork")
	fs.IntVar(&f.verbosity, "v", 0, "log verbosity (1 logs every processed change and every ManifestWork write)")
	fs.DurationVar(&f.relabelGrace, "relabel-grace", loop.DefaultRelabelGrace, "how long a WEC must stay out of the target set before its works are deleted; a label flap within it changes nothing")
	fs.DurationVar(&f.shrinkAfter, "shrink-confirm-after", loop.DefaultShrinkConfirmAfter, "how long a much smaller delivery without an observed cause must persist before objects are removed")
	fs.DurationVar(&f.moveTimeout, "move-timeout", delivery.DefaultMoveTimeout, "how long to wait for the work agent to apply the receiving ManifestWork of a moving object")
	fs.IntVar(&f.workers, "workers", loop.DefaultWorkers, "WECs delivered at once")
	fs.StringVar(&f.metricsAddr, "metrics-addr", "", "address serving Prometheus metrics on /metrics, e.g. :8080 (empty: no metrics)")
	fs.StringVar(&f.placement, "placement", string(loop.PlacementSelector), "how objects are placed on WECs: selector (every object to every WEC matching --clusters), policies (BindingPolicies resolved here) or bindings (KubeStellar's Bindings)")
	fs.DurationVar(&f.rediscover, "rediscover", loop.DefaultRediscover, "policies and bindings modes: how often the source API server's resources are discovered again (new CRDs)")
	fs.BoolVar(&f.installCRDs, "install-crds", false, "install the shipped CRDs (BindingPolicy, Binding, CustomTransform, CustomizationRule) on the source API server; a CRD of the same name the transport did not create is left alone")
	fs.BoolVar(&f.returnStatus, "return-status", true, "policies and bindings modes: bring status home — objects whose policies ask for singleton or multi-WEC reported state or name StatusCollectors (from --config files) get feedback rules, and their status and CombinedStatus objects are written to the source API server (WECs' work agents need --feature-gates=RawFeedbackJsonString=true)")
	fs.StringVar(&f.shardNamespace, "shard-namespace", "", "run as one of several replicas: hub namespace of the coordinating Leases (created if missing); each replica delivers only the WECs of the shards it holds, and only the holder of the leader Lease writes to the source API server (empty: a single replica owning every WEC)")
	fs.StringVar(&f.identity, "identity", defaultIdentity(), "with --shard-namespace: this replica's name among the replicas, unique per replica")
	fs.IntVar(&f.shards, "shards", sharding.DefaultShards, "with --shard-namespace: number of shards the WECs are hashed into; all replicas must agree")
	fs.DurationVar(&f.leaseDuration, "lease-duration", sharding.DefaultLeaseDuration, "with --shard-namespace: how long a held Lease stays valid without renewal; a dead replica's WECs are taken over after about this long")
	fs.DurationVar(&f.leaseRenew, "lease-renew", 0, "with --shard-namespace: how often held Leases are renewed (0: a third of --lease-duration)")
	fs.DurationVar(&f.leaseSkew, "lease-skew", sharding.DefaultSkewTolerance, "with --shard-namespace: clock skew tolerated between replicas; a replica stops writing this long before its Lease ends (less than half of --lease-duration)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return f, err
		}
		return f, fmt.Errorf("%w: %w", ErrUsage, err)
	}
	if fs.NArg() > 0 {
		return f, usageError("unexpected arguments %q: every input is given by a flag", fs.Args())
	}
	f.set = map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { f.set[fl.Name] = true })
	return f, f.validate()
}

// validate checks what the command line alone can tell; every error wraps ErrUsage.
func (f flags) validate() error {
	if f.hubKubeconfig == "" {
		return usageError("--hub-kubeconfig is required")
	}
	if f.installCRDs && f.sourceKubeconfig == "" {
		return usageError("--install-crds installs on the source API server: give --source-kubeconfig")
	}
	if len(f.files) == 0 && f.sourceKubeconfig == "" {
		return usageError("give workload files (-f) and/or a source API server (--source-kubeconfig)")
	}
	if f.sourceKey == "" {
		return usageError("--source-key must not be empty")
	}
	if f.shardNamespace == "" {
		for _, name := range []string{"identity", "shards", "lease-duration", "lease-renew", "lease-skew"} {
			if f.set[name] {
				return usageError("--%s applies to several replicas only: give --shard-namespace", name)
			}
		}
		return nil
	}
	if strings.TrimSpace(f.identity) == "" || len(f.identity) > sharding.MaxIdentityLength {
		return usageError("--identity=%q: give a non-empty name of at most %d bytes", f.identity, sharding.MaxIdentityLength)
	}
	if f.shards < 1 || f.shards > sharding.MaxShards {
		return usageError("--shards=%d: give 1 to %d", f.shards, sharding.MaxShards)
	}
	if f.leaseDuration <= 0 {
		return usageError("--lease-duration=%s: give a positive duration", f.leaseDuration)
	}
	if f.leaseRenew < 0 || f.leaseRenew >= f.leaseDuration {
		return usageError("--lease-renew=%s: give 0 (a third of --lease-duration) or a positive duration below --lease-duration=%s", f.leaseRenew, f.leaseDuration)
	}
	if f.leaseSkew < 0 || 2*f.leaseSkew >= f.leaseDuration {
		return usageError("--lease-skew=%s: give a non-negative duration below half of --lease-duration=%s", f.leaseSkew, f.leaseDuration)
	}
	renew := f.leaseRenew
	if renew == 0 {
		renew = f.leaseDuration / 3
	}
	if renew+f.leaseSkew >= f.leaseDuration {
		return usageError("--lease-renew=%s plus --lease-skew=%s must stay below --lease-duration=%s, or a live replica loses its Leases between renewals", renew, f.leaseSkew, f.leaseDuration)
	}
	return nil
}
