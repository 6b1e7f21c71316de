#pragma once
/// The root of the four plugin interfaces. Objects are created by the plugin library's
/// `create`, owned by the host, and destroyed by the same library's `destroy`.

#include "xreg/sdk/abi.h"

namespace xreg {

class Plugin {
 public:
  virtual ~Plugin() = default;
};

}  // namespace xreg
