package transform

import (
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wecforge/wecforge/transform/jsonpath"
)

// The model tests run random sequences of writes, removals, forks and adoptions on an Object
// and, step for step, on a plain deep copy edited in place (the model). After every operation
// the Object's tree must equal the model and its base must be untouched. They guard the write
// cursor and the ownership bookkeeping, which skip work the model always does.

func modelBase() map[string]any {
	return map[string]any{
		"metadata": map[string]any{"name": "web", "labels": map[string]any{"app": "web"}},
		"spec": map[string]any{
			"replicas": int64(1),
			"template": map[string]any{"spec": map[string]any{
				"containers": []any{
					map[string]any{"name": "app", "env": []any{
						map[string]any{"name": "A", "value": "1"},
						map[string]any{"name": "B", "value": "2"},
						map[string]any{"name": "C", "value": "3"},
					}},
					map[string]any{"name": "side", "args": []any{"x", "y"}},
				},
			}},
		},
	}
}

func k(key string) jsonpath.Step { return jsonpath.Step{Key: key} }
func ix(i int) jsonpath.Step     { return jsonpath.Step{Index: i, IsIndex: true} }

// modelLocations mix existing, missing, too deep and wrongly typed locations.
var modelLocations = func() []jsonpath.Location {
	cs := []jsonpath.Step{k("spec"), k("template"), k("spec"), k("containers")}
	env := append(append([]jsonpath.Step{}, cs...), ix(0), k("env"))
	at := func(prefix []jsonpath.Step, more ...jsonpath.Step) jsonpath.Location {
		return append(append(jsonpath.Location{}, prefix...), more...)
	}
	return []jsonpath.Location{
		{k("metadata"), k("labels"), k("app")},
		{k("metadata"), k("labels"), k("region")},
		{k("metadata"), k("annotations"), k("note")},
		{k("metadata"), k("labels")},
		{k("spec"), k("replicas")},
		{k("spec"), k("replicas"), k("deeper")},
		{k("spec"), k("template")},
		at(env, ix(0), k("value")),
		at(env, ix(1), k("value")),
		at(env, ix(2), k("value")),
		at(env, ix(1)),
		at(env, ix(2)),
		at(env, ix(0)),
		at(env, ix(5), k("value")),
		at(env),
		at(cs, ix(0), k("image")),
		at(cs, ix(1), k("args"), ix(1)),
		at(cs, ix(1), k("args"), ix(0)),
		at(cs, ix(1), k("args")),
		at(cs, ix(1)),
		at(cs, k("name")),
		{k("status"), k("ready")},
		{},
	}
}()

func modelValue(r *rand.Rand) any {
	switch r.IntN(5) {
	case 0:
		return "v" + string(rune('a'+r.IntN(3)))
	case 1:
		return int64(r.IntN(3))
	case 2:
		return map[string]any{"name": "X", "value": "n"}
	case 3:
		return []any{"p", map[string]any{"q": "r"}}
	}
	return nil
}

// modelSet writes value at loc in a plain tree as Object.SetAt specifies (maps created along
// name steps, list items must exist); it reports whether the write succeeded.
func modelSet(root *map[string]any, loc jsonpath.Location, value any) bool {
	if len(loc) == 0 {
		m, ok := value.(map[string]any)
		if ok {
			*root = m
		}
		return ok
	}
	var cur any = *root
	for i, s := range loc[:len(loc)-1] {
		switch c := cur.(type) {
		case map[string]any:
			if s.IsIndex {
				return false
			}
			v, ok := c[s.Key]
			if (!ok || v == nil) && !loc[i+1].IsIndex {
				v = map[string]any{}
				c[s.Key] = v
			} else if !ok {
				return false
			}
			cur = v
		case []any:
			if !s.IsIndex || s.Index >= len(c) {
				return false
			}
			cur = c[s.Index]
		default:
			return false
		}
		switch cur.(type) {
		case map[string]any, []any:
		default:
			return false
		}
	}
	last := loc[len(loc)-1]
	switch c := cur.(type) {
	case map[string]any:
		if last.IsIndex {
			return false
		}
		c[last.Key] = value
	case []any:
		if !last.IsIndex || last.Index >= len(c) {
			return false
		}
		c[last.Index] = value
	default:
		return false
	}
	return true
}

// modelRemove deletes the node at loc from a plain tree.
func modelRemove(root map[string]any, loc jsonpath.Location) {
	if len(loc) == 0 {
		return
	}
	if _, ok := NewObject(root).Get(loc); !ok {
		return
	}
	parentLoc, last := loc[:len(loc)-1], loc[len(loc)-1]
	parent, _ := NewObject(root).Get(parentLoc)
	switch c := parent.(type) {
	case map[string]any:
		delete(c, last.Key)
	case []any:
		shorter := append(append([]any{}, c[:last.Index]...), c[last.Index+1:]...)
		if len(parentLoc) == 0 {
			return
		}
		grand, _ := NewObject(root).Get(parentLoc[:len(parentLoc)-1])
		switch g := grand.(type) {
		case map[string]any:
			g[parentLoc[len(parentLoc)-1].Key] = shorter
		case []any:
			g[parentLoc[len(parentLoc)-1].Index] = shorter
		}
	}
}

// runModel applies n random operations chosen by seed.
func runModel(t *testing.T, seed uint64, n int) {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	base := modelBase()
	pristine := DeepCopyValue(base)
	obj := NewObject(base)
	model := modelBase()
	var fork *Object
	var forkModel map[string]any
	for step := range n {
		target, tm := obj, &model
		if fork != nil {
			target, tm = fork, &forkModel
		}
		loc := modelLocations[r.IntN(len(modelLocations))]
		switch op := r.IntN(10); {
		case op < 6:
			v := modelValue(r)
			err := target.SetAt(loc, DeepCopyValue(v))
			ok := modelSet(tm, loc, DeepCopyValue(v))
			require.Equal(t, ok, err == nil, "seed %d step %d: SetAt %s: %v", seed, step, loc, err)
		case op < 8:
			target.RemoveAt(loc)
			modelRemove(*tm, loc)
		case fork == nil:
			fork = obj.Fork()
			forkModel = DeepCopyValue(model).(map[string]any)
		case op == 8:
			obj.Adopt(fork)
			model, fork = forkModel, nil
		default:
			fork = nil // dropped: obj and its model stay as they were
		}
		require.Equal(t, model, obj.Root(), "seed %d step %d", seed, step)
		if fork != nil {
			require.Equal(t, forkModel, fork.Root(), "seed %d step %d (fork)", seed, step)
		}
		require.Equal(t, pristine, base, "seed %d step %d: the base was modified", seed, step)
		if !reflect.DeepEqual(model, pristine) {
			require.True(t, obj.Modified(), "seed %d step %d: the tree changed, Modified must say so", seed, step)
		}
		if fork != nil && !reflect.DeepEqual(forkModel, model) {
			require.True(t, fork.Modified(), "seed %d step %d: the fork changed, Modified must say so", seed, step)
		}
	}
}

func TestObjectMatchesModel(t *testing.T) {
	for seed := range uint64(300) {
		runModel(t, seed, 60)
	}
}

func FuzzObjectMatchesModel(f *testing.F) {
	f.Add(uint64(1), uint8(40))
	f.Fuzz(func(t *testing.T, seed uint64, n uint8) {
		runModel(t, seed, int(n))
	})
}
