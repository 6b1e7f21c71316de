#pragma once
/// Paths written in a pipeline file are relative to the file's folder (private).

#include <string>

namespace xreg {

/// The folder of pipeline file `file`, against which its relative paths are resolved; "."
/// when the name has no folder part.
std::string pipeline_folder(const std::string& file);

/// `path` as written in a pipeline file whose folder is `base_dir`: an absolute path as it
/// is, a relative one taken from `base_dir` and normalized ("cfg" and "../x" give "x").
std::string resolve_path(const std::string& base_dir, const std::string& path);

}  // namespace xreg
