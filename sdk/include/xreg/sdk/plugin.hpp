#pragma once
/// The root of the four plugin interfaces. Objects are created by the plugin library's
/// `create`, owned by the host, and destroyed by the same library's `destroy`.

#include <cstdint>

#include "xreg/sdk/abi.h"

namespace xreg {

class Plugin {
 public:
  virtual ~Plugin() = default;

  /// The explanation kinds an explainer gives or a metric scores, written into the plugin's
  /// descriptor entry (see explainer.hpp and metric.hpp); 0 for models and regularizers.
  static constexpr uint32_t explanation_kinds = 0;
};

}  // namespace xreg
