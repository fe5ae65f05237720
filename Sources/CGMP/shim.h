// Thin shim over GMP: <gmp.h> exposes its functions under __gmpz_* names (imported by Swift
// directly); the few entry points that are C macros are wrapped here as inline functions.
#ifndef ADAPTIVE_KERNELS_CGMP_SHIM_H
#define ADAPTIVE_KERNELS_CGMP_SHIM_H
#include <gmp.h>

static inline int ak_mpz_sgn(mpz_srcptr z) { return mpz_sgn(z); }
static inline int ak_mpz_cmp_si(mpz_srcptr z, long v) { return mpz_cmp_si(z, v); }
static inline int ak_mpz_odd_p(mpz_srcptr z) { return mpz_odd_p(z); }

#endif
