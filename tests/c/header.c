/* The header compiles without a warning as strict C99 and as C++ (the
 * Makefile builds this file both ways with -Werror). */
#include "ctpolicy.h"

int main(void) {
    return ctp_abi_version() == CTP_ABI_VERSION ? 0 : 1;
}
