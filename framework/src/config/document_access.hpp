#pragma once
/// Inside a PipelineDocument (private): the parsed TOML table, for validation and for tests.

#include <toml++/toml.h>

#include <memory>
#include <string>

#include "xreg/host/config/document.hpp"

namespace xreg {

struct PipelineDocument::Impl {
  toml::table table;     ///< the parsed file, overrides applied
  std::string file;      ///< the file as given, or the name standing for it
  std::string base_dir;  ///< pipeline_folder(file)
};

/// The framework's way into a PipelineDocument's parsed form.
struct PipelineDocumentAccess {
  /// The document of `table`, parsed from `file` (or the text standing for it).
  static PipelineDocument make(toml::table table, const std::string& file);

  static const toml::table& table(const PipelineDocument& document) {
    return document.impl_->table;
  }
};

}  // namespace xreg
