// Package joinerr takes apart what errors.Join returns, so that tools can report one problem
// per line.
package joinerr

import (
	"errors"
	"reflect"
)

// joinType is the dynamic type of what errors.Join returns.
var joinType = reflect.TypeOf(errors.Join(errors.New("")))

// maxDepth bounds the recursion: joins nested deeper are returned whole.
const maxDepth = 64

// Split returns the errors an errors.Join result holds, recursively: err itself when it is not
// a join, nothing for nil. Only joins are taken apart: a typed error that unwraps to several
// causes (a sentinel and its cause, say) is one problem. Joins nested more than 64 deep are
// returned whole.
func Split(err error) []error {
	return split(err, 0)
}

func split(err error, depth int) []error {
	if err == nil {
		return nil
	}
	if reflect.TypeOf(err) != joinType || depth >= maxDepth {
		return []error{err}
	}
	var out []error
	for _, p := range err.(interface{ Unwrap() []error }).Unwrap() {
		out = append(out, split(p, depth+1)...)
	}
	return out
}
