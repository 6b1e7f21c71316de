#pragma once
// Text that reports print and write (private): numbers, aligned terminal tables, CSV fields,
// HTML escapes.

#include <cstddef>
#include <string>
#include <vector>

namespace xreg {

/// `value` with `digits` significant digits; nan and inf spelled out.
std::string significant_digits(double value, int digits);

/// Columns `text` takes on a terminal: UTF-8 continuation bytes take none ("–" is 3 bytes).
size_t display_width(const std::string& text);

/// `rows` as text columns two spaces apart, the first `left` columns left-aligned and the rest
/// right-aligned by display width, a rule under the first row, no spaces at a line's end.
std::string aligned_table(const std::vector<std::vector<std::string>>& rows, size_t left);

/// `text` as one CSV field: quoted (RFC 4180, quotes doubled) when it holds a comma, a quote or
/// a line break.
std::string csv_field(const std::string& text);

/// `text` with <, > and & escaped for HTML and SVG.
std::string html_escaped(const std::string& text);

}  // namespace xreg
