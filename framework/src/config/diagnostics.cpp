#include "config/diagnostics.hpp"

#include <algorithm>

#include "xreg/host/errors.hpp"

namespace xreg {
namespace {

/// Optimal string alignment distance: edits, with a swap of neighbours counting as one.
size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

}  // namespace

std::string Locator::where(const toml::source_region& source, const std::string& path) const {
  if (source.begin) {
    return file_ + ":" + std::to_string(source.begin.line) + ":" +
           std::to_string(source.begin.column);
  }
  return path.empty() ? file_ : "--set " + path;
}

void Locator::fail(const toml::source_region& source, const std::string& path,
                   const std::string& message) const {
  throw ConfigError(where(source, path) + ": " + message);
}

std::string with_article(const std::string& noun) {
  const bool vowel = !noun.empty() && std::string("aeiou").find(noun[0]) != std::string::npos;
  return (vowel ? "an " : "a ") + noun;
}

std::string found_text(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

std::optional<std::string> closest_match(const std::string& word,
                                         const std::vector<std::string>& known) {
  constexpr size_t kMaxTypoDistance = 2;
  std::optional<std::string> best;
  size_t best_distance = kMaxTypoDistance + 1;
  for (const std::string& candidate : known) {
    const size_t distance = edit_distance(word, candidate);
    if (distance < best_distance) {
      best = candidate;
      best_distance = distance;
    }
  }
  return best;
}

std::string did_you_mean(const std::string& match) { return "; did you mean '" + match + "'?"; }

}  // namespace xreg
