//go:build tools

// Package tools pins etcd's server module (its root is package main) for hack/tools.sh.
package tools

import (
	_ "go.etcd.io/etcd/server/v3"
)
