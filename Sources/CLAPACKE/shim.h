// LAPACKE (row-major LAPACK driver interface) and CBLAS over OpenBLAS.
#ifndef ADAPTIVE_KERNELS_CLAPACKE_SHIM_H
#define ADAPTIVE_KERNELS_CLAPACKE_SHIM_H
#include <lapacke.h>
#include <cblas.h>
#endif
