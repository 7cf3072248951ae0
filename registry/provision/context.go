package provision

import (
	"context"
	"fmt"
	"maps"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Context is the [Provisioner] for clusters that already exist as contexts of a kubeconfig. It
// creates and deletes nothing: Create only checks that the context exists, and Delete forgets
// nothing and succeeds. Create it with [NewContext]; it is immutable afterwards.
type Context struct {
	config   *clientcmdapi.Config
	contexts map[string]string
}

var _ Provisioner = (*Context)(nil)

// NewContext parses kubeconfig (YAML bytes: no path is read). contexts maps WEC names to context
// names; a WEC not in the map uses the context of its own name. contexts is copied.
func NewContext(kubeconfig []byte, contexts map[string]string) (*Context, error) {
	cfg, err := clientcmd.Load(kubeconfig)
	if err != nil {
		return nil, fmt.Errorf("context: parse kubeconfig: %w", err)
	}
	return &Context{config: cfg, contexts: maps.Clone(contexts)}, nil
}

func (c *Context) contextOf(name string) (string, error) {
	ctxName := name
	if mapped, ok := c.contexts[name]; ok {
		ctxName = mapped
	}
	if _, ok := c.config.Contexts[ctxName]; !ok {
		return "", fmt.Errorf("context: %w: %s (no context %q in the kubeconfig)", ErrNotFound, name, ctxName)
	}
	return ctxName, nil
}

// Create checks that WEC name has a context; it creates nothing.
func (c *Context) Create(ctx context.Context, name string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	_, err := c.contextOf(name)
	return err
}

// Kubeconfig returns a self-contained kubeconfig holding only WEC name's context, its cluster
// and user (file references are inlined), with that context current.
func (c *Context) Kubeconfig(ctx context.Context, name string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ctxName, err := c.contextOf(name)
	if err != nil {
		return nil, err
	}
	cfg := c.config.DeepCopy()
	cfg.CurrentContext = ctxName
	if err := clientcmdapi.MinifyConfig(cfg); err != nil {
		return nil, fmt.Errorf("context: minify kubeconfig for %s: %w", name, err)
	}
	if err := clientcmdapi.FlattenConfig(cfg); err != nil {
		return nil, fmt.Errorf("context: inline kubeconfig files for %s: %w", name, err)
	}
	out, err := clientcmd.Write(*cfg)
	if err != nil {
		return nil, fmt.Errorf("context: write kubeconfig for %s: %w", name, err)
	}
	return out, nil
}

// Delete does nothing: an existing cluster is not this package's to remove.
func (c *Context) Delete(ctx context.Context, name string) error { return ctx.Err() }
