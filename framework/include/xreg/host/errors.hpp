#pragma once
/// The host's errors. Every message is one line naming the file (and position), what was
/// expected and what was found. The exit code tells configuration mistakes from failed runs.

#include <stdexcept>
#include <string>

namespace xreg {

/// Bad input: a pipeline file, a data file, a command line or a plugin that cannot be used.
/// `xreg` exits with 2.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A plugin library that the host refuses to load. A ConfigError: the user fixes the setup.
class PluginLoadError : public ConfigError {
 public:
  using ConfigError::ConfigError;
};

/// A run that started and failed: a plugin method threw, a file could not be written.
/// `xreg` exits with 1.
class RunError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A plugin method that refused its input by throwing std::invalid_argument: what the pipeline
/// asks of the plugin cannot be done (a SENN regularizer on a model without concepts). A
/// RunError while a run is under way; found before training, the host reports it as a
/// ConfigError at the slot's position.
class PluginRefusal : public RunError {
 public:
  using RunError::RunError;
};

/// The first line of a message, without trailing spaces: errors are reported on one line.
std::string first_line(const std::string& message);

}  // namespace xreg
