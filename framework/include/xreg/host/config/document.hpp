#pragma once
/// A pipeline file read and parsed, with its --set overrides applied, before validation. The
/// parsed form is opaque (it stays inside the framework); validate_pipeline() turns a document
/// into a Pipeline.

#include <memory>
#include <string>
#include <vector>

namespace xreg {

struct PipelineDocumentAccess;

class PipelineDocument {
 public:
  PipelineDocument(const PipelineDocument& other);
  PipelineDocument(PipelineDocument&& other) noexcept;
  PipelineDocument& operator=(const PipelineDocument& other);
  PipelineDocument& operator=(PipelineDocument&& other) noexcept;
  ~PipelineDocument();

  /// The pipeline file as given, or the name that stands for it in messages.
  const std::string& file() const;
  /// The file's folder ("." when the name has none): relative paths in the file are resolved
  /// against it.
  const std::string& base_dir() const;
  /// [run] plugin_path, each folder resolved against base_dir(). Values of another type are
  /// left to validate_pipeline(), which reports them.
  std::vector<std::string> plugin_paths() const;

 private:
  friend struct PipelineDocumentAccess;
  struct Impl;
  explicit PipelineDocument(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// Parses `path` and applies `overrides` ("train.lr=1e-4", "regularizer[0].weight=0.1").
/// Throws ConfigError with FILE:LINE:COLUMN for a syntax error, or naming the override.
PipelineDocument read_pipeline_file(const std::string& path,
                                    const std::vector<std::string>& overrides);

/// The same for pipeline text held in memory; `source_name` stands for the file in messages
/// (and its folder is the document's base_dir()).
PipelineDocument parse_pipeline_text(const std::string& text, const std::string& source_name,
                                     const std::vector<std::string>& overrides);

}  // namespace xreg
