package sharding_test

import (
	"fmt"
	"sort"
	"strconv"
	"sync"

	coordv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

var leasesGR = schema.GroupResource{Group: "coordination.k8s.io", Resource: "leases"}

// leaseStore is an in-memory Lease API shared by several fake clientsets: it assigns a new
// resourceVersion on every write and refuses an update or a delete precondition at a stale
// one, as the API server does.
type leaseStore struct {
	mu     sync.Mutex
	rv     int
	leases map[string]*coordv1.Lease // by namespace/name
	writes int
}

func newLeaseStore() *leaseStore { return &leaseStore{leases: map[string]*coordv1.Lease{}} }

// client returns a clientset whose Lease requests go to st; fail, when it returns an error
// for an action, makes that request fail instead.
func (st *leaseStore) client(fail func(k8stesting.Action) error) *fake.Clientset {
	c := fake.NewClientset()
	c.PrependReactor("*", "leases", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if fail != nil {
			if err := fail(a); err != nil {
				return true, nil, err
			}
		}
		return st.handle(a)
	})
	return c
}

func (st *leaseStore) handle(a k8stesting.Action) (bool, runtime.Object, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	ns := a.GetNamespace()
	switch verb := a.GetVerb(); {
	case verb == "get":
		a := a.(k8stesting.GetAction)
		l, ok := st.leases[ns+"/"+a.GetName()]
		if !ok {
			return true, nil, apierrors.NewNotFound(leasesGR, a.GetName())
		}
		return true, l.DeepCopy(), nil
	case verb == "list":
		a := a.(k8stesting.ListAction)
		sel := a.GetListRestrictions().Labels
		if sel == nil {
			sel = labels.Everything()
		}
		out := &coordv1.LeaseList{}
		keys := make([]string, 0, len(st.leases))
		for k := range st.leases {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			l := st.leases[k]
			if l.Namespace == ns && sel.Matches(labels.Set(l.Labels)) {
				out.Items = append(out.Items, *l.DeepCopy())
			}
		}
		out.ResourceVersion = strconv.Itoa(st.rv)
		return true, out, nil
	case verb == "create":
		a := a.(k8stesting.CreateAction)
		l := a.GetObject().(*coordv1.Lease).DeepCopy()
		l.Namespace = ns
		key := ns + "/" + l.Name
		if _, ok := st.leases[key]; ok {
			return true, nil, apierrors.NewAlreadyExists(leasesGR, l.Name)
		}
		if l.ResourceVersion != "" {
			return true, nil, apierrors.NewBadRequest("resourceVersion must not be set on create")
		}
		st.rv++
		st.writes++
		l.ResourceVersion = strconv.Itoa(st.rv)
		st.leases[key] = l
		return true, l.DeepCopy(), nil
	case verb == "update" && a.GetSubresource() == "":
		a := a.(k8stesting.UpdateAction)
		l := a.GetObject().(*coordv1.Lease).DeepCopy()
		key := ns + "/" + l.Name
		cur, ok := st.leases[key]
		if !ok {
			return true, nil, apierrors.NewNotFound(leasesGR, l.Name)
		}
		if l.ResourceVersion != cur.ResourceVersion {
			return true, nil, apierrors.NewConflict(leasesGR, l.Name, fmt.Errorf("resourceVersion %s, stored %s", l.ResourceVersion, cur.ResourceVersion))
		}
		st.rv++
		st.writes++
		l.Namespace = ns
		l.ResourceVersion = strconv.Itoa(st.rv)
		st.leases[key] = l
		return true, l.DeepCopy(), nil
	case verb == "delete":
		a := a.(k8stesting.DeleteAction)
		key := ns + "/" + a.GetName()
		cur, ok := st.leases[key]
		if !ok {
			return true, nil, apierrors.NewNotFound(leasesGR, a.GetName())
		}
		if p := a.GetDeleteOptions().Preconditions; p != nil && p.ResourceVersion != nil && *p.ResourceVersion != cur.ResourceVersion {
			return true, nil, apierrors.NewConflict(leasesGR, a.GetName(), fmt.Errorf("precondition resourceVersion %s, stored %s", *p.ResourceVersion, cur.ResourceVersion))
		}
		delete(st.leases, key)
		st.writes++
		return true, nil, nil
	}
	return false, nil, nil
}

// get returns a copy of a stored Lease, or nil.
func (st *leaseStore) get(ns, name string) *coordv1.Lease {
	st.mu.Lock()
	defer st.mu.Unlock()
	if l, ok := st.leases[ns+"/"+name]; ok {
		return l.DeepCopy()
	}
	return nil
}

// put stores l as if another client wrote it, with a new resourceVersion.
func (st *leaseStore) put(l *coordv1.Lease) {
	st.mu.Lock()
	defer st.mu.Unlock()
	l = l.DeepCopy()
	st.rv++
	l.ResourceVersion = strconv.Itoa(st.rv)
	st.leases[l.Namespace+"/"+l.Name] = l
}

// holders returns the holderIdentity of every stored Lease whose name has prefix, by name.
func (st *leaseStore) holders(ns string) map[string]string {
	st.mu.Lock()
	defer st.mu.Unlock()
	out := map[string]string{}
	for _, l := range st.leases {
		if l.Namespace == ns && l.Spec.HolderIdentity != nil {
			out[l.Name] = *l.Spec.HolderIdentity
		}
	}
	return out
}

// writeCount is the number of writes so far.
func (st *leaseStore) writeCount() int {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.writes
}
