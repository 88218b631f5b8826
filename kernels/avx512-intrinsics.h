// <immintrin.h> for the AVX-512 kernel files. GCC 12's AVX-512 intrinsics self-initialise an
// "undefined" operand and warn about it when inlined (GCC bug 105593, a false positive): the
// including file stops reporting exactly those two warnings. Clang has no such warnings (and no
// -Wmaybe-uninitialized group), so it gets the header alone.
#pragma once

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>
