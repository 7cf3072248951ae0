// Package testobj builds unstructured objects from YAML for tests, as an API server would hand
// them out (integers as int64).
package testobj
