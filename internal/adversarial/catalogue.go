package adversarial

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/wecforge/wecforge/customization"
	"github.com/wecforge/wecforge/rules"
	"github.com/wecforge/wecforge/rules/templates"
	"github.com/wecforge/wecforge/transform"
	"github.com/wecforge/wecforge/transform/kubestellar"
)

// Case is one adversarial input (see testdata/adversarial/cases.yaml for the fields).
type Case struct {
	Name          string            `json:"name"`
	Reason        string            `json:"reason"`
	Expect        string            `json:"expect"`
	Object        map[string]any    `json:"object"`
	Rules         []map[string]any  `json:"rules"`
	Properties    map[string]string `json:"properties"`
	BigProperties map[string]int    `json:"bigProperties"`
	Pad           int               `json:"pad"`
	Deep          int               `json:"deep"`
	Limits        struct {
		MaxDepth       int   `json:"maxDepth"`
		MaxBytes       int64 `json:"maxBytes"`
		MaxObjectBytes int64 `json:"maxObjectBytes"`
		MaxSteps       int64 `json:"maxSteps"`
	} `json:"limits"`
}

// Load reads the catalogue from the repository's testdata/adversarial/cases.yaml.
func Load() ([]Case, error) {
	_, file, _, _ := runtime.Caller(0)
	raw, err := os.ReadFile(filepath.Join(filepath.Dir(file), "..", "..", "testdata", "adversarial", "cases.yaml"))
	if err != nil {
		return nil, err
	}
	var cases []Case
	if err := yaml.Unmarshal(raw, &cases); err != nil {
		return nil, err
	}
	return cases, nil
}

// Run compiles c's rules and renders c's object for one WEC. A compile error is returned as
// is; otherwise the pair's error (nil when it rendered).
func Run(ctx context.Context, c Case) error {
	var docs []rules.Document
	for i, spec := range c.Rules {
		docs = append(docs, rules.Document{Source: fmt.Sprintf("%s#%d", c.Name, i), Object: map[string]any{
			"apiVersion": rules.APIVersion, "kind": rules.Kind,
			"metadata": map[string]any{"name": fmt.Sprintf("r%d", i)}, "spec": spec,
		}})
	}
	set, err := rules.Compile(docs)
	if err != nil {
		return err
	}
	p, _, err := kubestellar.NewPipeline(kubestellar.Options{
		PerWEC: []transform.Stage{templates.NewExpander(templates.Limits{}).Stage(), set.Stage()},
		Limits: transform.Limits{MaxDepth: c.Limits.MaxDepth, MaxBytes: c.Limits.MaxBytes,
			MaxObjectBytes: c.Limits.MaxObjectBytes, MaxSteps: c.Limits.MaxSteps},
	})
	if err != nil {
		return err
	}
	props := map[string]string{}
	for k, v := range c.Properties {
		props[k] = v
	}
	for k, n := range c.BigProperties {
		props[k] = strings.Repeat("x", n)
	}
	wec, err := customization.New("wec1", nil, nil, nil)
	if err != nil {
		return err
	}
	if len(props) > 0 {
		if wec, err = customization.New("wec1", nil, props, nil); err != nil {
			return err
		}
	}
	obj := transform.DeepCopyValue(c.Object).(map[string]any)
	data, _ := obj["data"].(map[string]any)
	if data == nil && (c.Pad > 0 || c.Deep > 0) {
		data = map[string]any{}
		obj["data"] = data
	}
	if c.Pad > 0 {
		data["pad"] = strings.Repeat("p", c.Pad)
	}
	if c.Deep > 0 {
		var deep any = "bottom"
		for range c.Deep {
			deep = map[string]any{"d": deep}
		}
		data["deep"] = deep
	}
	prep := p.Prepare(ctx, &unstructured.Unstructured{Object: obj})
	return p.Render(ctx, prep, wec).Err
}

// Classify names the class of err: compile, steps, bytes, size, depth, perObject, or "" for
// an error of no budget class (and for nil).
func Classify(err error) string {
	var be *transform.BudgetError
	var le *templates.LimitError
	switch {
	case err == nil:
		return ""
	case errors.Is(err, rules.ErrCompile):
		return "compile"
	case errors.As(err, &be):
		switch be.Kind {
		case transform.LimitSteps:
			return "steps"
		case transform.LimitBytes:
			return "bytes"
		case transform.LimitObjectBytes:
			return "size"
		case transform.LimitDepth:
			return "depth"
		case transform.LimitBytesPerObject:
			return "perObject"
		}
	case errors.As(err, &le):
		switch le.Kind {
		case templates.LimitSteps:
			return "steps"
		case templates.LimitStringBytes, templates.LimitObjectBytes:
			return "bytes"
		}
	case errors.Is(err, rules.ErrCostBudget):
		return "steps"
	}
	return ""
}
