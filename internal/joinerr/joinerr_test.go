package joinerr_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/wecforge/wecforge/internal/joinerr"
)

var errSentinel = errors.New("sentinel")

// twoCauses unwraps to two errors but is not a join: it stays one problem.
type twoCauses struct{ a, b error }

func (e *twoCauses) Error() string   { return "two causes" }
func (e *twoCauses) Unwrap() []error { return []error{e.a, e.b} }

func TestSplit(t *testing.T) {
	a, b, c := errors.New("a"), errors.New("b"), errors.New("c")
	typed := &twoCauses{errSentinel, a}
	wrapped := fmt.Errorf("doc: %w", errors.Join(a, b))
	assert.Nil(t, joinerr.Split(nil))
	assert.Equal(t, []error{a}, joinerr.Split(a))
	assert.Equal(t, []error{a, b, c}, joinerr.Split(errors.Join(a, errors.Join(b, nil, c))))
	assert.Equal(t, []error{typed}, joinerr.Split(typed), "a typed error with several causes is one problem")
	assert.Equal(t, []error{wrapped}, joinerr.Split(wrapped), "a join wrapped with context stays one problem")
}

func TestSplitDeepJoinIsBounded(t *testing.T) {
	err := errors.New("leaf")
	for range 10_000 {
		err = errors.Join(err)
	}
	got := joinerr.Split(err)
	assert.Len(t, got, 1)
	assert.ErrorContains(t, got[0], "leaf")
}
