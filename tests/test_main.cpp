// The main of every test program: the process-wide determinism settings, then the tests.
#include <gtest/gtest.h>

#include "xreg/host/run/determinism.hpp"

int main(int argc, char** argv) {
  xreg::make_blas_deterministic();
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
