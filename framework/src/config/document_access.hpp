#pragma once
/// Inside a PipelineDocument (private): the parsed TOML table, for validation and for tests.

#include <toml++/toml.h>

#include <memory>
#include <string>
#include <vector>

#include "xreg/host/config/document.hpp"

namespace xreg {

struct PipelineDocument::Impl {
  toml::table table;     ///< the parsed file, overrides applied
  std::string file;      ///< the file as given, or the name standing for it
  std::string base_dir;  ///< pipeline_folder(file)
  /// The text parsed and the overrides applied to it, from which a [sweep] point's document is
  /// parsed anew (a copied toml::table loses its nodes' source positions).
  std::string text;
  std::vector<std::string> overrides;
};

/// `text` parsed (named `source_name` in messages) and `overrides` applied; ConfigError
/// "FILE:LINE:COLUMN: ..." on a syntax error.
toml::table parse_pipeline_table(const std::string& text, const std::string& source_name,
                                 const std::vector<std::string>& overrides);

/// The framework's way into a PipelineDocument's parsed form.
struct PipelineDocumentAccess {
  /// The document of `table`, parsed from `text` (named `file` in messages) with `overrides`.
  static PipelineDocument make(toml::table table, const std::string& file, std::string text,
                               std::vector<std::string> overrides);

  static const std::string& text(const PipelineDocument& document) { return document.impl_->text; }

  static const std::vector<std::string>& overrides(const PipelineDocument& document) {
    return document.impl_->overrides;
  }

  static const toml::table& table(const PipelineDocument& document) {
    return document.impl_->table;
  }
};

}  // namespace xreg
