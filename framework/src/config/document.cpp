#include "xreg/host/config/document.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "config/document_access.hpp"
#include "config/overrides.hpp"
#include "config/paths.hpp"
#include "xreg/host/errors.hpp"

namespace xreg {

PipelineDocument PipelineDocumentAccess::make(toml::table table, const std::string& file,
                                              std::string text,
                                              std::vector<std::string> overrides) {
  auto impl = std::make_unique<PipelineDocument::Impl>();
  impl->table = std::move(table);
  impl->file = file;
  impl->base_dir = pipeline_folder(file);
  impl->text = std::move(text);
  impl->overrides = std::move(overrides);
  return PipelineDocument(std::move(impl));
}

PipelineDocument::PipelineDocument(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PipelineDocument::PipelineDocument(const PipelineDocument& other)
    : impl_(std::make_unique<Impl>(*other.impl_)) {}
PipelineDocument::PipelineDocument(PipelineDocument&& other) noexcept = default;
PipelineDocument& PipelineDocument::operator=(const PipelineDocument& other) {
  if (this != &other) impl_ = std::make_unique<Impl>(*other.impl_);
  return *this;
}
PipelineDocument& PipelineDocument::operator=(PipelineDocument&& other) noexcept = default;
PipelineDocument::~PipelineDocument() = default;

const std::string& PipelineDocument::file() const { return impl_->file; }

const std::string& PipelineDocument::base_dir() const { return impl_->base_dir; }

std::vector<std::string> PipelineDocument::plugin_paths() const {
  // Values of another type are left to validate_pipeline, which checks [run] first.
  std::vector<std::string> paths;
  const toml::array* folders = impl_->table["run"]["plugin_path"].as_array();
  if (folders == nullptr) return paths;
  for (const toml::node& folder : *folders) {
    const std::optional<std::string> text = folder.value_exact<std::string>();
    if (text) paths.push_back(resolve_path(impl_->base_dir, *text));
  }
  return paths;
}

PipelineDocument read_pipeline_file(const std::string& path,
                                    const std::vector<std::string>& overrides) {
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) {
    throw ConfigError(path + ": cannot read pipeline file: it is a directory");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path + ": cannot read pipeline file: " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw ConfigError(path + ": cannot read pipeline file: " + std::strerror(errno));
  return parse_pipeline_text(text.str(), path, overrides);
}

toml::table parse_pipeline_table(const std::string& text, const std::string& source_name,
                                 const std::vector<std::string>& overrides) {
  toml::table table;
  try {
    table = toml::parse(text, source_name);
  } catch (const toml::parse_error& error) {
    const toml::source_position& begin = error.source().begin;
    throw ConfigError(source_name + ":" + std::to_string(begin.line) + ":" +
                      std::to_string(begin.column) + ": " +
                      first_line(std::string(error.description())));
  }
  for (const std::string& override_text : overrides) apply_override(table, override_text);
  return table;
}

PipelineDocument parse_pipeline_text(const std::string& text, const std::string& source_name,
                                     const std::vector<std::string>& overrides) {
  return PipelineDocumentAccess::make(parse_pipeline_table(text, source_name, overrides),
                                      source_name, text, overrides);
}

}  // namespace xreg
