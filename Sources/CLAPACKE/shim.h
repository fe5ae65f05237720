// LAPACKE (row-major LAPACK driver interface) and CBLAS over OpenBLAS: declarations only. Nothing
// here is linked: the library is opened on first use (dlopen) and every function is called through
// a pointer of the types below (Sources/Numerics/LinearAlgebraLibrary.swift), so that commands that
// do no dense linear algebra never map OpenBLAS. Calling a prototype directly fails at link time.
#ifndef ADAPTIVE_KERNELS_CLAPACKE_SHIM_H
#define ADAPTIVE_KERNELS_CLAPACKE_SHIM_H
#include <lapacke.h>
#include <cblas.h>
#include <stddef.h>

// The two stages of LAPACK's two-stage tridiagonal reduction (LAPACK 3.7+), which LAPACKE does not
// wrap: the Fortran routines as OpenBLAS exports them, each character argument followed by its
// hidden length at the end (gfortran's convention).
void dsytrd_sy2sb_(const char *uplo, const lapack_int *n, const lapack_int *kd, double *a, const lapack_int *lda,
                   double *ab, const lapack_int *ldab, double *tau, double *work, const lapack_int *lwork,
                   lapack_int *info, size_t uplo_length);
void dsytrd_sb2st_(const char *stage1, const char *vect, const char *uplo, const lapack_int *n, const lapack_int *kd,
                   double *ab, const lapack_int *ldab, double *d, double *e, double *hous, const lapack_int *lhous,
                   double *work, const lapack_int *lwork, lapack_int *info,
                   size_t stage1_length, size_t vect_length, size_t uplo_length);

// One non-null function-pointer type per function the package calls, with the prototype's exact type.
#define AK_FUNCTION_POINTER(name) typedef __typeof__(name) * _Nonnull ak_##name##_t;
AK_FUNCTION_POINTER(LAPACKE_dgbsv)
AK_FUNCTION_POINTER(LAPACKE_dgels)
AK_FUNCTION_POINTER(LAPACKE_dgesdd)
AK_FUNCTION_POINTER(LAPACKE_dgesv)
AK_FUNCTION_POINTER(LAPACKE_dgtsv)
AK_FUNCTION_POINTER(LAPACKE_dormtr)
AK_FUNCTION_POINTER(LAPACKE_dormqr_work)
AK_FUNCTION_POINTER(LAPACKE_dormtr_work)
AK_FUNCTION_POINTER(LAPACKE_dposv)
AK_FUNCTION_POINTER(LAPACKE_dpotrf)
AK_FUNCTION_POINTER(LAPACKE_dpotri)
AK_FUNCTION_POINTER(LAPACKE_dstedc)
AK_FUNCTION_POINTER(LAPACKE_dstemr)
AK_FUNCTION_POINTER(LAPACKE_dsterf)
AK_FUNCTION_POINTER(LAPACKE_dsyevd)
AK_FUNCTION_POINTER(LAPACKE_dsytrd)
AK_FUNCTION_POINTER(LAPACKE_dtrtri)
AK_FUNCTION_POINTER(cblas_daxpy)
AK_FUNCTION_POINTER(cblas_ddot)
AK_FUNCTION_POINTER(cblas_dgemm)
AK_FUNCTION_POINTER(cblas_dgemv)
AK_FUNCTION_POINTER(cblas_dnrm2)
AK_FUNCTION_POINTER(cblas_dsbmv)
AK_FUNCTION_POINTER(cblas_dger)
AK_FUNCTION_POINTER(cblas_dsymv)
AK_FUNCTION_POINTER(cblas_dsyr2)
AK_FUNCTION_POINTER(cblas_dsyrk)
AK_FUNCTION_POINTER(cblas_dtrmm)
AK_FUNCTION_POINTER(dsytrd_sb2st_)
AK_FUNCTION_POINTER(dsytrd_sy2sb_)
AK_FUNCTION_POINTER(openblas_get_corename)
AK_FUNCTION_POINTER(openblas_get_num_threads)
AK_FUNCTION_POINTER(openblas_set_num_threads)
#undef AK_FUNCTION_POINTER
#endif
