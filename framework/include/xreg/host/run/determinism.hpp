#pragma once
/// Process-wide settings that the determinism rule needs.

namespace xreg {

/// Makes the BLAS that LibTorch calls single-threaded. OpenBLAS's threaded matrix product
/// splits its sums by the matrix sizes, so a point's output would change with the batch it is
/// evaluated in (by an ulp, but changed). LibTorch's own intra-op threads stay as they are.
/// Call once at start-up, before any work; a no-op when the BLAS is not OpenBLAS.
void make_blas_deterministic();

}  // namespace xreg
