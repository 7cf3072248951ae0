//go:build tools

// Package tools pins OCM's commands for hack/tools.sh; it is never compiled into wecforge.
package tools

import (
	_ "open-cluster-management.io/ocm/cmd/registration"
	_ "open-cluster-management.io/ocm/cmd/registration-operator"
	_ "open-cluster-management.io/ocm/cmd/work"
)
