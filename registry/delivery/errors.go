package delivery

import (
	"errors"
	"fmt"
	"strings"

	"github.com/wecforge/wecforge/transform"
)

var (
	// ErrTooLarge means one object alone exceeds the size budget of a ManifestWork.
	ErrTooLarge = errors.New("object exceeds the ManifestWork size limit")
	// ErrInvalidObject means an object lacks apiVersion, kind or name, or appears twice.
	ErrInvalidObject = errors.New("invalid object")
	// ErrInvalidInput means a WEC name, source key or option is unusable.
	ErrInvalidInput = errors.New("invalid delivery input")
	// ErrShrinkRefused is wrapped by every [*ShrinkRefusedError].
	ErrShrinkRefused = errors.New("shrink refused")
	// ErrMoveUnconfirmed is wrapped by a [*MoveError] whose receiving ManifestWorks were not
	// reported Applied in time.
	ErrMoveUnconfirmed = errors.New("move not confirmed by the work agent")
	// ErrWorkDeleted means a ManifestWork this package was waiting for, or about to update,
	// was deleted by someone else.
	ErrWorkDeleted = errors.New("ManifestWork deleted by someone else")
	// ErrNoNamespace means the WEC's namespace on the hub does not exist or is being deleted.
	// It is returned together with the API server's own error, so apierrors.IsNotFound (or
	// the Forbidden of a terminating namespace) still works on it.
	ErrNoNamespace = errors.New("WEC namespace missing on the hub")
)

// ObjectError is returned for a problem with one input object; it wraps [ErrTooLarge] or
// [ErrInvalidObject].
type ObjectError struct {
	// Object names the object (`Kind.group ns/name`).
	Object transform.ObjectRef
	// Err is the cause.
	Err error
}

func (e *ObjectError) Error() string { return e.Object.String() + ": " + e.Err.Error() }

// Unwrap returns the cause.
func (e *ObjectError) Unwrap() error { return e.Err }

// ShrinkRefusedError is returned by [Deliverer.Apply] when the objects asked for would remove
// much of what the pair delivers now (see [Options.ShrinkFraction]) and the caller did not set
// [ApplyOptions.ConfirmShrink]. The objects that would have been removed stay delivered with
// their previous content; everything else was delivered. It wraps [ErrShrinkRefused].
type ShrinkRefusedError struct {
	// WEC and Key name the pair.
	WEC, Key string
	// Current is the number of distinct objects the pair's ManifestWorks held before the call;
	// Desired is the number asked for.
	Current, Desired int
	// Removed names the objects that were kept instead of removed, sorted.
	Removed []transform.ObjectRef
}

func (e *ShrinkRefusedError) Error() string {
	return fmt.Sprintf("%s: WEC %s, source %q: %d of %d delivered objects would be removed (%d asked for); kept until the shrink is confirmed",
		ErrShrinkRefused, e.WEC, e.Key, len(e.Removed), e.Current, e.Desired)
}

// Unwrap returns [ErrShrinkRefused].
func (e *ShrinkRefusedError) Unwrap() error { return ErrShrinkRefused }

// MoveError is returned when objects moving from one ManifestWork to another could not be
// confirmed: the receiving ManifestWorks were written, the giving ones were not, so every
// moving object is still in at least one part. Calling Apply again resumes the move. It wraps
// [ErrMoveUnconfirmed] or [ErrWorkDeleted], and the last error seen while waiting, if any.
type MoveError struct {
	// WEC and Key name the pair.
	WEC, Key string
	// Waiting lists the receiving ManifestWorks not yet Applied for their latest generation.
	Waiting []string
	// Objects names the moving objects, sorted.
	Objects []transform.ObjectRef
	// Err is the cause.
	Err error
}

func (e *MoveError) Error() string {
	objs := make([]string, 0, min(len(e.Objects), 5))
	for i, o := range e.Objects {
		if i == 5 {
			objs = append(objs, fmt.Sprintf("and %d more", len(e.Objects)-5))
			break
		}
		objs = append(objs, o.String())
	}
	return fmt.Sprintf("WEC %s, source %q: moving %s: waiting for %s: %v",
		e.WEC, e.Key, strings.Join(objs, ", "), strings.Join(e.Waiting, ", "), e.Err)
}

// Unwrap returns the cause.
func (e *MoveError) Unwrap() error { return e.Err }

// WorkError is a failed API call on one ManifestWork. It wraps the API server's error (so
// apierrors.IsNotFound, IsConflict and the like keep working) and, when the WEC's namespace is
// gone, [ErrNoNamespace].
type WorkError struct {
	// WEC is the namespace; Work the ManifestWork's name (empty for a list).
	WEC, Work string
	// Action is "create", "update", "delete", "get" or "list".
	Action string
	// Err is the cause.
	Err error
}

func (e *WorkError) Error() string {
	if e.Work == "" {
		return fmt.Sprintf("%s ManifestWorks in %s: %v", e.Action, e.WEC, e.Err)
	}
	return fmt.Sprintf("%s ManifestWork %s/%s: %v", e.Action, e.WEC, e.Work, e.Err)
}

// Unwrap returns the cause.
func (e *WorkError) Unwrap() error { return e.Err }
