package returned

import (
	"errors"
	"fmt"
	"strings"

	"github.com/wecforge/wecforge/transform"
)

var (
	// ErrStatusTooLarge means the WEC could not return part of an object's status because the
	// value exceeds the work agent's 1,024-byte limit for one feedback value.
	ErrStatusTooLarge = errors.New("returned status exceeds the work agent's limit for one value")
	// ErrBadFeedback means a returned value could not be decoded.
	ErrBadFeedback = errors.New("returned status value does not decode")
)

// TooLargeError is the [ErrStatusTooLarge] of one (object, WEC).
type TooLargeError struct {
	// Object is the source object; WEC the cluster; Work the ManifestWork.
	Object transform.ObjectRef
	WEC    string
	Work   string
	// Fields are the top-level status fields that could not be returned; empty when the whole
	// status was requested as one value (package delivery splits it on its next Apply of the
	// pair) or when the agent's report names no field.
	Fields []string
	// AgentMessage is the work agent's own message (its StatusFeedbackSynced condition).
	AgentMessage string
}

func (e *TooLargeError) Error() string {
	what := "status"
	if len(e.Fields) > 0 {
		what = "status fields " + strings.Join(e.Fields, ", ")
	}
	return fmt.Sprintf("%s on WEC %s (ManifestWork %s): %s: %s: %s", e.Object, e.WEC, e.Work, what, ErrStatusTooLarge, e.AgentMessage)
}

// Unwrap returns [ErrStatusTooLarge].
func (e *TooLargeError) Unwrap() error { return ErrStatusTooLarge }

// FeedbackError is a returned value that does not decode; it wraps [ErrBadFeedback] and the
// decoder's error.
type FeedbackError struct {
	Object transform.ObjectRef
	WEC    string
	Work   string
	// Rule is the feedback rule's name ("status" or "status.<field>").
	Rule string
	Err  error
}

func (e *FeedbackError) Error() string {
	return fmt.Sprintf("%s on WEC %s (ManifestWork %s): feedback %q: %s: %v", e.Object, e.WEC, e.Work, e.Rule, ErrBadFeedback, e.Err)
}

// Unwrap returns [ErrBadFeedback] and the cause.
func (e *FeedbackError) Unwrap() []error { return []error{ErrBadFeedback, e.Err} }
