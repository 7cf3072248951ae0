package delivery

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wecforge/wecforge/transform"
)

func TestMuchSmaller(t *testing.T) {
	cases := []struct {
		reason                    string
		current, desired, removed int
		fraction                  float64
		want                      bool
	}{
		{reason: "nothing removed", current: 10, desired: 12, removed: 0, fraction: 0.5},
		{reason: "emptying is always much smaller", current: 1, desired: 0, removed: 1, fraction: 1, want: true},
		{reason: "half is not more than half", current: 10, desired: 5, removed: 5, fraction: 0.5},
		{reason: "six of ten", current: 10, desired: 4, removed: 6, fraction: 0.5, want: true},
		{reason: "replacing most objects removes most", current: 10, desired: 10, removed: 8, fraction: 0.5, want: true},
		{reason: "a stricter fraction", current: 10, desired: 8, removed: 2, fraction: 0.1, want: true},
		{reason: "fraction 1 refuses only emptying", current: 10, desired: 1, removed: 9, fraction: 1},
	}
	for _, tc := range cases {
		t.Run(tc.reason, func(t *testing.T) {
			assert.Equal(t, tc.want, muchSmaller(tc.current, tc.desired, tc.removed, tc.fraction))
		})
	}
}

// TestApplyShrinkGuard checks each refusal and each way a removal passes, against the modelled
// agent: refused objects stay on the WEC, other changes still go out.
func TestApplyShrinkGuard(t *testing.T) {
	ten := map[string]int{}
	for i := range 10 {
		ten[fmt.Sprintf("o%d", i)] = 100
	}
	keep := func(names ...string) map[string]int {
		out := map[string]int{}
		for _, n := range names {
			out[n] = ten[n]
		}
		return out
	}
	cases := []struct {
		reason  string
		next    map[string]int
		opts    ApplyOptions
		refused int // objects kept by the refusal; 0 means no refusal
	}{
		{reason: "an empty list is refused", next: map[string]int{}, refused: 10},
		{reason: "six of ten removed is refused", next: keep("o0", "o1", "o2", "o3"), refused: 6},
		{reason: "five of ten removed passes", next: keep("o0", "o1", "o2", "o3", "o4")},
		{reason: "a confirmed emptying passes", next: map[string]int{}, opts: ApplyOptions{ConfirmShrink: true}},
		{reason: "a confirmed shrink passes", next: keep("o0"), opts: ApplyOptions{ConfirmShrink: true}},
	}
	for _, tc := range cases {
		t.Run(tc.reason, func(t *testing.T) {
			h := newAgentHub("wec1")
			d, err := New(h.cs, Options{MaxBytes: 600, MoveTimeout: fakeOpts.MoveTimeout, MovePollInterval: fakeOpts.MovePollInterval})
			require.NoError(t, err)
			var logged []string
			ctx := logr.NewContext(context.Background(), funcr.New(func(prefix, args string) {
				logged = append(logged, args)
			}, funcr.Options{}))
			_, err = d.Apply(ctx, "wec1", "k", sized(ten), ApplyOptions{})
			require.NoError(t, err)
			h.settle()
			next := sized(tc.next)
			// Whatever else happens, a change to a kept object goes out.
			if _, ok := tc.next["o0"]; ok {
				next[0] = Object{Object: configMap("apps", "o0", 150)}
			}
			rep, err := d.Apply(ctx, "wec1", "k", next, tc.opts)
			h.settle()
			if tc.refused == 0 {
				require.NoError(t, err)
				assert.Len(t, h.onWEC(), len(tc.next))
				return
			}
			require.ErrorIs(t, err, ErrShrinkRefused)
			var se *ShrinkRefusedError
			require.True(t, errors.As(err, &se))
			assert.Equal(t, "wec1", se.WEC)
			assert.Equal(t, "k", se.Key)
			assert.Equal(t, 10, se.Current)
			assert.Equal(t, len(tc.next), se.Desired)
			assert.Len(t, se.Removed, tc.refused)
			assert.Contains(t, err.Error(), "WEC wec1")
			assert.Contains(t, err.Error(), fmt.Sprintf("%d of 10", tc.refused))
			assert.Empty(t, rep.Deleted, "nothing deleted")
			assert.Len(t, h.onWEC(), 10, "every object stays on the WEC")
			if _, ok := tc.next["o0"]; ok {
				assert.Len(t, h.onWEC()[cmRef("o0")], len(h.onWEC()[cmRef("o1")])+50, "the change to o0 went out")
			}
			require.NotEmpty(t, logged)
			assert.Contains(t, logged[len(logged)-1], "shrink refused")
			assert.Contains(t, logged[len(logged)-1], `"wec"="wec1"`)

			// Confirming removes them.
			_, err = d.Apply(ctx, "wec1", "k", next, ApplyOptions{ConfirmShrink: true})
			require.NoError(t, err)
			h.settle()
			assert.Len(t, h.onWEC(), len(tc.next))
		})
	}
}

// TestDeleteConfirms: Delete is the confirmation; it empties the pair.
func TestDeleteConfirms(t *testing.T) {
	h := newAgentHub("wec1")
	d, err := New(h.cs, fakeOpts)
	require.NoError(t, err)
	ctx := context.Background()
	_, err = d.Apply(ctx, "wec1", "k", sized(map[string]int{"a": 10, "b": 10}), ApplyOptions{})
	require.NoError(t, err)
	rep, err := d.Delete(ctx, "wec1", "k")
	require.NoError(t, err)
	assert.Len(t, rep.Deleted, 1)
	h.settle()
	assert.Empty(t, h.onWEC())
	assert.Equal(t, map[transform.ObjectRef]string{}, h.onWEC())
}
