/// Pipeline files: TOML parsing, then validation against the host's section schemas and the
/// schemas of the plugins in XREG_PLUGIN_PATH (the plugins are constructed, as `xreg validate`
/// does). Lines that start with "--set " are applied as overrides. A bad file or override must
/// end in a ConfigError; any other exception, crash or sanitizer report is a finding.

#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "xreg/host/config/document.hpp"
#include "xreg/host/config/pipeline.hpp"
#include "xreg/host/errors.hpp"
#include "xreg/host/plugin/registry.hpp"

namespace {

const xreg::Registry& registry() {
  static const std::unique_ptr<xreg::Registry> loaded = [] {
    auto r = std::make_unique<xreg::Registry>();
    r->set_warning_sink([](const std::string&) {});
    for (const auto& directory : xreg::plugin_search_path({})) r->load_directory(directory);
    return r;
  }();
  return *loaded;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::istringstream input(std::string(reinterpret_cast<const char*>(data), size));
  std::string text, line;
  std::vector<std::string> overrides;
  while (std::getline(input, line)) {
    if (line.rfind("--set ", 0) == 0) {
      overrides.push_back(line.substr(6));
    } else {
      text += line + "\n";
    }
  }
  try {
    const auto document = xreg::parse_pipeline_text(text, "/tmp/fuzz.toml", overrides);
    xreg::validate_pipeline(document, registry());
  } catch (const xreg::ConfigError&) {
  }
  return 0;
}
