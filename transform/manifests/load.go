package manifests

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// DefaultMaxBytes is the input budget of a [Load] call when [Options.MaxBytes] is 0: far above
// any set of manifests a person writes, low enough that a runaway stream fails fast.
const DefaultMaxBytes = 256 << 20

// Stdin is the path that stands for [Options.Stdin].
const Stdin = "-"

// Options configure [Load]. The zero value reads files and directories only.
type Options struct {
	// Stdin is read for the path `-`; nil makes `-` an error.
	Stdin io.Reader
	// MaxBytes bounds the bytes read over all inputs (0: DefaultMaxBytes). Exceeding it is an
	// [ErrTooLarge] error and reading stops.
	MaxBytes int64
}

// extensions are the file name extensions read from directories; a file named explicitly is
// read whatever its name.
var extensions = map[string]bool{".yaml": true, ".yml": true, ".json": true}

// Load reads every path in order (see the package documentation, Inputs). It returns every
// object it could read, in order, the warnings, and every problem found, joined; each problem
// is a [*Error].
func Load(paths []string, opts Options) ([]Document, []Warning, error) {
	budget := opts.MaxBytes
	if budget <= 0 {
		budget = DefaultMaxBytes
	}
	var docs []Document
	var warns []Warning
	var errs []error
	stdinRead := false
	read := func(name string, r io.Reader) {
		data, err := io.ReadAll(io.LimitReader(r, budget+1))
		if err != nil {
			errs = append(errs, &Error{Where: name, Kind: ErrRead, Err: unwrapPathError(err)})
			return
		}
		if int64(len(data)) > budget {
			errs = append(errs, &Error{Where: name, Kind: ErrTooLarge, Err: fmt.Errorf("%w: the inputs exceed %d bytes", ErrTooLarge, limit(opts))})
			budget = -1
			return
		}
		budget -= int64(len(data))
		d, w, err := Parse(name, data)
		docs = append(docs, d...)
		warns = append(warns, w...)
		errs = append(errs, err)
	}
	for _, p := range paths {
		if budget < 0 {
			break
		}
		if p == Stdin {
			switch {
			case opts.Stdin == nil:
				errs = append(errs, &Error{Where: p, Kind: ErrRead, Err: errors.New("standard input is not available")})
			case stdinRead:
				errs = append(errs, &Error{Where: p, Kind: ErrRead, Err: errors.New("standard input named twice")})
			default:
				stdinRead = true
				read(p, opts.Stdin)
			}
			continue
		}
		files, err := expand(p)
		errs = append(errs, err)
		for _, f := range files {
			if budget < 0 {
				break
			}
			fh, err := os.Open(f)
			if err != nil {
				errs = append(errs, &Error{Where: f, Kind: ErrRead, Err: unwrapPathError(err)})
				continue
			}
			read(f, fh)
			fh.Close()
		}
	}
	return docs, warns, errors.Join(errs...)
}

func limit(opts Options) int64 {
	if opts.MaxBytes > 0 {
		return opts.MaxBytes
	}
	return DefaultMaxBytes
}

// expand returns the files a path stands for: itself, or the YAML and JSON files under a
// directory in lexical order, hidden directories skipped.
func expand(path string) ([]string, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, &Error{Where: path, Kind: ErrRead, Err: unwrapPathError(err)}
	}
	if !info.IsDir() {
		return []string{path}, nil
	}
	var files []string
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return &Error{Where: p, Kind: ErrRead, Err: unwrapPathError(err)}
		}
		if d.IsDir() && p != path && strings.HasPrefix(d.Name(), ".") {
			return filepath.SkipDir // .git and the like
		}
		if !d.IsDir() && extensions[strings.ToLower(filepath.Ext(p))] {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, &Error{Where: path, Kind: ErrRead, Err: errors.New("directory holds no .yaml, .yml or .json file")}
	}
	return files, nil
}

// unwrapPathError drops the *fs.PathError wrapper, whose path the message already names.
func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
