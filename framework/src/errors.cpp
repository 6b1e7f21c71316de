#include "xreg/host/errors.hpp"

namespace xreg {

std::string first_line(const std::string& message) {
  std::string line = message.substr(0, message.find('\n'));
  const size_t end = line.find_last_not_of(" \t\r\f\v");
  line.erase(end == std::string::npos ? 0 : end + 1);
  return line;
}

}  // namespace xreg
