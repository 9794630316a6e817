//go:build cgo

package ctpolicy

import "testing"

// TestNativeHandleReleasedOnce: get sees the handle until release, which
// hands it over exactly once; the cleanup does not free it afterwards.
func TestNativeHandleReleasedOnce(t *testing.T) {
	type owner struct{ native nativeHandle[*int] }
	freed := 0
	o := &owner{}
	handle := new(int)
	own(o, &o.native, handle, func(*int) { freed++ })
	if h, ok := o.native.get(); !ok || h != handle {
		t.Fatalf("get before release: %v, %v", h, ok)
	}
	if h, ok := o.native.release(); !ok || h != handle {
		t.Fatalf("release: %v, %v", h, ok)
	}
	if _, ok := o.native.get(); ok {
		t.Error("get after release still gives the handle")
	}
	if _, ok := o.native.release(); ok {
		t.Error("a second release gave the handle again")
	}
	if freed != 0 {
		t.Errorf("the cleanup ran %d times on a released handle", freed)
	}
}
