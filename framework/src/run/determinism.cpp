#include "xreg/host/run/determinism.hpp"

#include <dlfcn.h>

namespace xreg {

void make_blas_deterministic() {
  using SetThreads = void (*)(int);
  if (auto set_threads =
          reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) {
    set_threads(1);
  }
}

}  // namespace xreg
