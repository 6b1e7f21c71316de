#pragma once
/// Words and places for the messages about pipeline files (private): where a node is
/// ("FILE:LINE:COLUMN" or "--set PATH"), what it holds, and which known word a typo meant.

#include <toml++/toml.h>

#include <optional>
#include <string>
#include <vector>

namespace xreg {

/// Turns node positions into message prefixes: "FILE:LINE:COLUMN" for what the file says and
/// "--set PATH" for what an override put there (nodes inserted by an override carry no source
/// position, which is how they are told apart).
class Locator {
 public:
  explicit Locator(std::string file) : file_(std::move(file)) {}

  /// The pipeline file as given.
  const std::string& file() const { return file_; }

  /// `path` names the node in --set syntax ("train.lr"); empty for the whole file.
  std::string where(const toml::source_region& source, const std::string& path) const;

  [[noreturn]] void fail(const toml::source_region& source, const std::string& path,
                         const std::string& message) const;

 private:
  std::string file_;
};

/// "a float", "an integer", "an explainer".
std::string with_article(const std::string& noun);

/// "a string", "an integer", "a table": what a node holds, in toml++'s words.
std::string found_text(const toml::node& node);

/// The first of `known` closest to `word`, when at most two edits away: a likely typo.
std::optional<std::string> closest_match(const std::string& word,
                                         const std::vector<std::string>& known);

/// "; did you mean 'MATCH'?"
std::string did_you_mean(const std::string& match);

}  // namespace xreg
