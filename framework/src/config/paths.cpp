#include "config/paths.hpp"

#include <filesystem>

namespace xreg {

namespace fs = std::filesystem;

std::string pipeline_folder(const std::string& file) {
  const fs::path parent = fs::path(file).parent_path();
  return parent.empty() ? "." : parent.string();
}

std::string resolve_path(const std::string& base_dir, const std::string& path) {
  const fs::path given(path);
  if (given.is_absolute()) return path;
  return (fs::path(base_dir) / given).lexically_normal().string();
}

}  // namespace xreg
