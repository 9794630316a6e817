/* The one include of the C header for every cgo preamble of this package.
 * When the header cannot be found the build stops here, saying why and what
 * to do, instead of on "ctpolicy.h: No such file or directory". Where it is
 * looked for is set in link_static.go / link_dynamic.go (the checkout's
 * include/) or link_pkgconfig.go (pkg-config's Cflags). */
#ifndef CTPOLICY_GO_H
#define CTPOLICY_GO_H
#if !__has_include(<ctpolicy.h>)
#error "ctpolicy: ctpolicy.h not found. The default build needs this folder inside the ctpolicy checkout (it reads ../../include and ../../target/release, after 'make build'); elsewhere (go mod vendor, a copy, Docker) run 'make install' in the checkout and build with -tags ctpolicy_pkgconfig (PKG_CONFIG_PATH=$PREFIX/lib/pkgconfig)"
#endif
#include <ctpolicy.h>
#endif
