package transform

// Fork returns a new Object over o's current tree, with o's author. Writes to the fork copy
// what they touch (even containers o already owns), so o's tree stays exactly as it was: o can
// be read as a frozen snapshot while the fork is edited, and dropping the fork discards its
// writes. Use [Object.Adopt] to keep them.
//
// The fork charges o's budget (work done for a dropped fork stays charged) and tracks its own
// size from o's.
//
// o must not be written while the fork is in use. The fork is not safe for concurrent use.
func (o *Object) Fork() *Object {
	f := &Object{root: o.root, by: o.by, noTrace: o.noTrace, paths: o.paths, budget: o.budget, size: o.size}
	f.owned = f.small[:0]
	return f
}

// Adopt makes fork's tree and changes o's own: o's tree becomes fork's and fork's trace is
// appended to o's. fork must come from o.Fork() with no writes to o since; it must not be used
// afterwards. Adopting an unwritten fork changes nothing.
func (o *Object) Adopt(fork *Object) {
	if len(fork.trace) == 0 && !fork.Modified() {
		return
	}
	o.root = fork.root
	o.size = fork.size
	o.replaced = o.replaced || fork.replaced
	o.cur.reset()
	o.owned = append(o.owned, fork.owned...)
	o.trace = append(o.trace, fork.trace...)
}
