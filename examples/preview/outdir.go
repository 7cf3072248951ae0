package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Output directory errors (exit 2; nothing is written). Test with errors.Is.
var (
	// ErrOutput is wrapped by every problem with -o DIR.
	ErrOutput = errors.New("bad output directory")
	// ErrOutputFormat: -o yaml or -o json, naming no existing directory, asked for a format.
	ErrOutputFormat = errors.New("preview writes files into a directory; for kubectl-style output omit -o (objects go to stdout)")
	// ErrOutputBudget: the run would write more than --max-output-bytes.
	ErrOutputBudget = errors.New("output exceeds the byte budget")
)

// outputError is a problem with the -o directory.
type outputError struct {
	// Dir is DIR as given.
	Dir string
	// Err is the cause.
	Err error
}

func (e *outputError) Error() string { return "-o " + e.Dir + ": " + e.Err.Error() }

// Unwrap returns ErrOutput and the cause.
func (e *outputError) Unwrap() []error { return []error{ErrOutput, e.Err} }

// reportFile marks a directory as a previous preview output.
const reportFile = "report.json"

// checkOutDir checks, before anything is rendered, that dir may receive the output: it does
// not exist, is empty, or holds a previous output (report.json and regular *.yaml files,
// nothing else), and it is no symlink, no file, and not inside an input directory. A bare
// `yaml` or `json` that is no existing directory is taken for a format and refused.
func checkOutDir(dir string, inputs []string) error {
	fail := func(format string, args ...any) error {
		return &outputError{Dir: dir, Err: fmt.Errorf(format, args...)}
	}
	info, err := os.Lstat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if dir == "yaml" || dir == "json" {
			return ErrOutputFormat
		}
	case err != nil:
		return fail("%w", unwrapPathErr(err))
	case info.Mode()&fs.ModeSymlink != 0:
		return fail("is a symbolic link; preview never writes through one (name the directory itself)")
	case !info.IsDir():
		return fail("exists and is not a directory")
	default:
		if err := checkPrevious(dir); err != nil {
			return fail("%w", err)
		}
	}
	out, err := resolve(dir)
	if err != nil {
		return fail("%w", err)
	}
	for _, in := range inputs {
		if in == "-" {
			continue
		}
		abs, err := resolve(in)
		if err != nil {
			continue // the loader reports unreadable inputs
		}
		if within(out, abs) {
			return fail("lies inside the input %s: a later run would read its own output", in)
		}
	}
	return nil
}

// checkPrevious accepts an empty directory or a previous output: report.json plus regular
// *.yaml files, or a review's review.json and review.html. Anything else may be someone's data
// and is not replaced.
func checkPrevious(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return unwrapPathErr(err)
	}
	if len(entries) == 0 {
		return nil
	}
	hasReport := false
	for _, e := range entries {
		if !e.Type().IsRegular() {
			return fmt.Errorf("holds %s, which is not a regular file: not a previous preview output, not replaced", e.Name())
		}
		switch {
		case e.Name() == reportFile || e.Name() == reviewJSONFile:
			hasReport = true
		case e.Name() == reviewHTMLFile:
		case filepath.Ext(e.Name()) != ".yaml":
			return fmt.Errorf("holds %s: not a previous preview output (report.json and <wec>.yaml files), not replaced", e.Name())
		}
	}
	if !hasReport {
		return errors.New("is not empty and holds no report.json: not a previous preview output, not replaced")
	}
	return nil
}

// resolve returns the absolute path of p with symbolic links of its existing part resolved.
func resolve(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	rest := ""
	for cur := abs; ; cur = filepath.Dir(cur) {
		if real, err := filepath.EvalSymlinks(cur); err == nil {
			return filepath.Join(real, rest), nil
		}
		if filepath.Dir(cur) == cur {
			return abs, nil
		}
		rest = filepath.Join(filepath.Base(cur), rest)
	}
}

// within reports whether path is dir or lies under it.
func within(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// outFile is one file of the output tree.
type outFile struct {
	name string
	data []byte
	// private files (holding Secret values) are written 0600, others 0644.
	private bool
}

// replaceDir writes files into a fresh sibling of dir and renames it into place; a previous
// output at dir is moved aside first and removed once the new tree is in place (restored if
// the rename fails). Files are created exclusively in a directory this run created, so no
// symbolic link is ever followed.
func replaceDir(dir string, files []outFile) error {
	parent, base := filepath.Dir(dir), filepath.Base(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return unwrapPathErr(err)
	}
	tmp, err := os.MkdirTemp(parent, "."+base+".new-")
	if err != nil {
		return unwrapPathErr(err)
	}
	defer os.RemoveAll(tmp) // a no-op once renamed
	for _, f := range files {
		mode := os.FileMode(0o644)
		if f.private {
			mode = 0o600
		}
		if err := writeExclusive(filepath.Join(tmp, f.name), f.data, mode); err != nil {
			return err
		}
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return unwrapPathErr(err)
	}
	info, err := os.Lstat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return unwrapPathErr(os.Rename(tmp, dir))
	}
	// Checked before rendering; checked again now, in case DIR changed meanwhile.
	if err != nil {
		return unwrapPathErr(err)
	}
	if !info.IsDir() {
		return errors.New("changed while rendering: no longer a directory")
	}
	if err := checkPrevious(dir); err != nil {
		return fmt.Errorf("changed while rendering: %w", err)
	}
	// The previous output moves to a name derived from this run's own fresh directory, which
	// nobody else uses; os.Rename refuses to replace an existing directory.
	old := tmp + ".previous"
	if err := os.Rename(dir, old); err != nil {
		return unwrapPathErr(err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		if rerr := os.Rename(old, dir); rerr != nil {
			return fmt.Errorf("%w (the previous output is kept at %s)", unwrapPathErr(err), old)
		}
		return unwrapPathErr(err)
	}
	return unwrapPathErr(os.RemoveAll(old))
}

// writeExclusive creates name (which must not exist, not even as a symbolic link) and writes
// data with the given mode.
func writeExclusive(name string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return unwrapPathErr(err)
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// unwrapPathErr keeps an error's path but drops Go's operation prefix noise for messages.
func unwrapPathErr(err error) error {
	if err == nil {
		return nil
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Path, pe.Err)
	}
	return err
}
