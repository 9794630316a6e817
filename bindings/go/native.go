//go:build cgo

package ctpolicy

import "runtime"

// nativeHandle is a library handle owned by one Go value (an Engine, a
// RedactingWriter, a VaultLint, an AuditLog): released exactly once, by
// the owner's Close or, for an owner dropped without Close, by a runtime
// cleanup that frees it. The cleanup gets the handle, not the owner, so it
// does not keep the owner reachable; an owner's method keeps itself
// reachable (runtime.KeepAlive) while it uses the handle, and serialises
// get against release with its own lock.
type nativeHandle[H comparable] struct {
	handle  H // the zero value once released
	cleanup runtime.Cleanup
}

// own makes owner the holder of handle: free(handle) runs once owner is
// unreachable, unless release came first.
func own[Owner any, H comparable](owner *Owner, n *nativeHandle[H], handle H, free func(H)) {
	n.handle = handle
	n.cleanup = runtime.AddCleanup(owner, free, handle)
}

// get is the handle; ok is false once it was released.
func (n *nativeHandle[H]) get() (handle H, ok bool) {
	var released H
	return n.handle, n.handle != released
}

// release hands the handle over for the owner's Close to free (its own
// way: an audit log syncs first) and stops the cleanup; ok is false when
// it was released already.
func (n *nativeHandle[H]) release() (handle H, ok bool) {
	handle, ok = n.get()
	if ok {
		n.cleanup.Stop()
		var released H
		n.handle = released
	}
	return handle, ok
}
