/// CSV data through everything a run does with it before training: reading (header detection,
/// target, categorical columns, class labels), splitting, standardization and the finiteness
/// check. The first input byte picks the [data] settings, the rest is the file. Malformed data
/// must end in a ConfigError; any other exception, crash or sanitizer report is a finding.

#include <torch/types.h>

#include "fuzz_support.hpp"
#include "xreg/host/data/splits.hpp"
#include "xreg/host/errors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace xreg;
  const uint8_t settings = fuzz::take_byte(data, size);
  Params params = fuzz::defaults(data_schema());
  params.set("path", fuzz::scratch_file("data.csv", data, size));
  params.set("header", std::string(settings % 3 == 0 ? "auto" : settings % 3 == 1 ? "yes" : "no"));
  const char* tasks[] = {"regression", "binary", "multiclass"};
  params.set("task", std::string(tasks[(settings / 3) % 3]));
  params.set("target", std::string((settings / 9) % 2 == 0 ? "last" : "0"));
  if ((settings / 18) % 2 == 1) params.set("categorical", std::vector<std::string>{"1"});
  if ((settings / 36) % 2 == 1) params.set("drop_missing", true);
  try {
    load_splits(params, "", 1, 0, (settings & 0x80) ? torch::kDouble : torch::kFloat);
  } catch (const ConfigError&) {
  }
  return 0;
}
