#include "xreg/host/run/process_settings.hpp"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace xreg {

bool keep_freed_memory() {
#if defined(__GLIBC__)
  // 32 MiB is the largest mmap threshold glibc takes on 64-bit systems (HEAP_MAX_SIZE / 2).
  const bool threshold = mallopt(M_MMAP_THRESHOLD, 32 << 20) == 1;
  const bool trim = mallopt(M_TRIM_THRESHOLD, 256 << 20) == 1;
  return threshold && trim;
#else
  return false;
#endif
}

}  // namespace xreg
