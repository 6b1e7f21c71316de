#include "xreg/pipeline.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "xreg/data_loading.hpp"
#include "xreg/errors.hpp"

namespace xreg {
namespace {

namespace fs = std::filesystem;

// ---------------------------------------------------------------------------------------------
// The host's schemas.

constexpr xreg_param_spec kRunSpecs[] = {
    param::integer("seed", "0",
                   "Seed from which every random stream of the run is derived (splits, "
                   "initialization, batches)."),
    param::integer("trials", "1",
                   "Number of trials; each draws a fresh split and a fresh initialization."),
    param::string("output", "\"runs/xreg\"",
                  "Folder of the run's results, relative to the working directory (not to the "
                  "pipeline file)."),
    param::strings("plugin_path", "[]",
                   "Folders searched for plugins, relative to the pipeline file."),
    param::string("device", "\"cpu\"", "LibTorch device to run on, such as cpu or cuda:0."),
    param::string("dtype", "\"float32\"", "Floating-point type of the models and the data.",
                  "float32|float64"),
    param::integer("threads", "0", "Number of CPU threads LibTorch uses; 0 keeps its default."),
    param::integer("max_rows_per_pass", "262144",
                   "Most rows evaluated in one forward pass, which bounds memory use."),
};

constexpr xreg_param_spec kTrainSpecs[] = {
    param::boolean("enabled", "true", "Whether the model is trained; false evaluates it as is."),
    param::string("optimizer", "\"adam\"", "Optimizer of the training loss.", "adam|sgd"),
    param::real("lr", "0.001", "Learning rate of the optimizer."),
    param::real("momentum", "0.0", "Momentum of the sgd optimizer (ignored by adam)."),
    param::real("weight_decay", "0.0", "L2 penalty on the model's parameters."),
    param::integer("batch_size", "128", "Number of training rows per optimizer step."),
    param::integer("max_epochs", "1000", "Most passes over the training split."),
    param::integer("min_epochs", "50", "Fewest passes over the training split before stopping."),
    param::integer("patience", "50",
                   "Training stops when epoch - best_epoch > patience and epoch > min_epochs."),
    param::real("tol", "0.0",
                "A validation loss counts as better when it is below the best one minus tol."),
    param::boolean("restore_best", "true",
                   "Keep the weights of the best validation epoch; false keeps the last epoch's."),
};

constexpr xreg_param_spec kRegularizerSlotSpecs[] = {
    param::real("weight", "1.0", "Weight of the regularizer's term in the training loss."),
    param::string("weight_mode", "\"absolute\"",
                  "absolute: the term is multiplied by weight; relative: weight is a fraction of "
                  "the task loss, calibrated once at initialization.",
                  "absolute|relative"),
    param::integer("batch_size", "16",
                   "Number of rows of each training batch on which the regularizer is evaluated."),
    param::string("name", "\"\"", "Label of this entry in reports; empty: the plugin's name."),
};

constexpr xreg_param_spec kLabeledSlotSpecs[] = {
    param::string("name", "\"\"", "Label of this entry in reports; empty: the plugin's name."),
};

constexpr xreg_param_spec kMetricSlotSpecs[] = {
    param::string("name", "\"\"", "Label of this entry in reports; empty: the plugin's name."),
    param::strings("explainers", "[]",
                   "Labels of the explainers whose explanations this metric scores; empty: all."),
};

template <size_t N>
Schema host_schema(const xreg_param_spec (&specs)[N]) {
  return schema_from_specs(specs, N, sizeof(xreg_param_spec));
}

/// The key naming a slot's plugin; no plugin parameter may use it.
constexpr const char* kPluginKey = "plugin";

// ---------------------------------------------------------------------------------------------
// Words for messages.

std::string joined(const std::vector<std::string>& words, const char* separator) {
  std::string text;
  for (size_t i = 0; i < words.size(); ++i) text += (i > 0 ? separator : "") + words[i];
  return text;
}

/// "a float", "an integer", "an explainer".
std::string with_article(const std::string& noun) {
  const bool vowel = !noun.empty() && std::string("aeiou").find(noun[0]) != std::string::npos;
  return (vowel ? "an " : "a ") + noun;
}

/// "a string", "an integer", "a table": what a node holds, in toml++'s words.
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

/// The first of `known` closest to `word`, when at most two edits away: a likely typo.
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

// ---------------------------------------------------------------------------------------------
// Positions.

/// Turns node positions into message prefixes: "FILE:LINE:COLUMN" for what the file says and
/// "--set PATH" for what an override put there (nodes inserted by an override carry no source
/// position, which is how they are told apart).
class Locator {
 public:
  explicit Locator(std::string file) : file_(std::move(file)) {}

  /// A path value as the plugin receives it: absolute, a relative one taken from the
  /// pipeline file's folder. Empty stays empty (no file).
  std::string resolve(const std::string& path) const {
    if (path.empty()) return path;
    const fs::path folder = fs::path(file_).parent_path();
    return fs::absolute(folder / path).lexically_normal().string();
  }

  /// `path` names the node in --set syntax ("train.lr"); empty for the whole file.
  std::string where(const toml::source_region& source, const std::string& path) const {
    if (source.begin) {
      return file_ + ":" + std::to_string(source.begin.line) + ":" +
             std::to_string(source.begin.column);
    }
    return path.empty() ? file_ : "--set " + path;
  }

  [[noreturn]] void fail(const toml::source_region& source, const std::string& path,
                         const std::string& message) const {
    throw ConfigError(where(source, path) + ": " + message);
  }

 private:
  std::string file_;
};

/// A table being validated: its name in messages ("[train]", "regularizer[0]"), its path in
/// --set syntax ("train", "regularizer[0]"), and the node that a missing key is reported at
/// (the table, or the whole file when the table is absent).
struct Section {
  std::string label;
  std::string path;
  const toml::node* anchor;
  std::string anchor_path;

  std::string key_path(const std::string& key) const { return path + "." + key; }
};

// ---------------------------------------------------------------------------------------------
// Validation of values and keys.

bool is_list(xreg_param_type type) {
  return type == XREG_PARAM_INT_LIST || type == XREG_PARAM_FLOAT_LIST ||
         type == XREG_PARAM_STRING_LIST;
}

xreg_param_type element_type(xreg_param_type list_type) {
  switch (list_type) {
    case XREG_PARAM_INT_LIST:
      return XREG_PARAM_INT;
    case XREG_PARAM_FLOAT_LIST:
      return XREG_PARAM_FLOAT;
    default:
      return XREG_PARAM_STRING;
  }
}

/// Why `node` is not a value of `type`: the node to point at (the value, or the first list
/// element of another type) and what was found there.
std::pair<const toml::node*, std::string> type_mismatch(const toml::node& node,
                                                        xreg_param_type type) {
  const toml::array* array = node.as_array();
  if (array != nullptr && is_list(type)) {
    for (const toml::node& element : *array) {
      if (!to_value(element, element_type(type))) {
        return {&element, "a list containing " + found_text(element)};
      }
    }
  }
  return {&node, found_text(node)};
}

/// Checks a string (or each string of a list) against the parameter's choices.
void check_choices(const toml::node& node, const ParamSchema& param, const std::string& subject,
                   const std::string& path, const Locator& locator) {
  if (param.choices.empty()) return;
  auto check_one = [&](const toml::node& string_node) {
    const std::string text = *string_node.value_exact<std::string>();
    if (std::find(param.choices.begin(), param.choices.end(), text) == param.choices.end()) {
      locator.fail(
          string_node.source(), path,
          subject + ": expected one of " + joined(param.choices, "|") + ", found '" + text + "'");
    }
  };
  if (const toml::array* array = node.as_array()) {
    for (const toml::node& element : *array) check_one(element);
  } else {
    check_one(node);
  }
}

/// The value of `node` for `param`, or a ConfigError saying what was expected and found.
Params::Value read_value(const toml::node& node, const ParamSchema& param, const Section& section,
                         const Locator& locator) {
  const std::string subject = section.label + " " + param.name;
  const std::string path = section.key_path(param.name);
  std::optional<Params::Value> value = to_value(node, param.type);
  if (!value) {
    const auto [culprit, found] = type_mismatch(node, param.type);
    locator.fail(
        culprit->source(), path,
        subject + ": expected " + with_article(type_name(param.type)) + ", found " + found);
  }
  check_choices(node, param, subject, path, locator);
  return *value;
}

/// Every parameter of `schema`: its value in `table`, else its default; paths resolved
/// against the pipeline file's folder.
Params read_params(const toml::table& table, const Schema& schema, const Section& section,
                   const Locator& locator) {
  Params params;
  for (const ParamSchema& param : schema) {
    if (const toml::node* node = table.get(param.name)) {
      params.set(param.name, read_value(*node, param, section, locator));
    } else if (param.default_value) {
      params.set(param.name, *param.default_value);
    } else {
      locator.fail(section.anchor->source(), section.anchor_path,
                   section.label + " missing required key '" + param.name + "' (" +
                       type_name(param.type) + (param.doc.empty() ? "" : ": " + param.doc) + ")");
    }
    if (param.type == XREG_PARAM_PATH) {
      params.set(param.name, locator.resolve(params.string(param.name)));
    }
  }
  return params;
}

/// Rejects the first key of `table` that is not in `known`, suggesting the likely one.
/// `what` names the table's keys in the message: "key", or "table" for the file's sections.
/// Whether position `a` comes before `b` in the file; a position an override made (none) last.
bool earlier(const toml::source_position& a, const toml::source_position& b) {
  if (!a || !b) return static_cast<bool>(a);
  return a.line != b.line ? a.line < b.line : a.column < b.column;
}

void check_keys(const toml::table& table, const std::vector<std::string>& known,
                const std::string& what, const std::string& in, const Section& section,
                const Locator& locator) {
  // toml++ keeps keys sorted; report the unknown key that comes first in the file.
  const toml::key* first = nullptr;
  for (const auto& [key, node] : table) {
    if (std::find(known.begin(), known.end(), std::string(key.str())) != known.end()) continue;
    if (first == nullptr || earlier(key.source().begin, first->source().begin)) first = &key;
  }
  if (first != nullptr) {
    const toml::key& key = *first;
    const toml::node& node = *table.get(key.str());
    const std::string name(key.str());
    const std::optional<std::string> match = closest_match(name, known);
    const std::string hint =
        match ? did_you_mean(*match) : " (known " + what + "s: " + joined(known, ", ") + ")";
    const std::string path = section.path.empty() ? name : section.key_path(name);
    locator.fail(key.source().begin ? key.source() : node.source(), path,
                 "unknown " + what + " '" + name + "'" + in + hint);
  }
}

std::vector<std::string> names_of(const Schema& schema) {
  std::vector<std::string> names;
  for (const ParamSchema& param : schema) names.push_back(param.name);
  return names;
}

/// `node` as a table, or a ConfigError at it.
const toml::table& as_section_table(const toml::node& node, const std::string& label,
                                    const std::string& path, const Locator& locator) {
  if (const toml::table* table = node.as_table()) return *table;
  locator.fail(node.source(), path, label + ": expected a table, found " + found_text(node));
}

/// A host section ([run], [data], [train]): every key checked, every default filled in.
Params read_host_section(const toml::table& root, const std::string& name, const Schema& schema,
                         const Locator& locator) {
  static const toml::table kAbsent;
  const std::string label = "[" + name + "]";
  const toml::node* node = root.get(name);
  const toml::table& table = node ? as_section_table(*node, label, name, locator) : kAbsent;
  const Section section{label, name, node ? node : &root, node ? name : ""};
  check_keys(table, names_of(schema), "key", " in " + label, section, locator);
  return read_params(table, schema, section, locator);
}

// ---------------------------------------------------------------------------------------------
// Plugin slots.

std::string kind_plural(xreg_kind kind) { return std::string(kind_name(kind)) + "s"; }

/// The plugin that the slot's `plugin` key names, or a ConfigError at that key.
const PluginInfo& find_slot_plugin(const toml::table& table, xreg_kind kind, const Section& section,
                                   const Registry& registry, const Locator& locator) {
  const toml::node* node = table.get(kPluginKey);
  const std::string path = section.key_path(kPluginKey);
  if (node == nullptr) {
    locator.fail(table.source(), section.path,
                 section.label + " missing required key 'plugin' (string: the name of the " +
                     kind_name(kind) + " plugin)");
  }
  const std::optional<std::string> name = node->value_exact<std::string>();
  if (!name) {
    locator.fail(node->source(), path,
                 section.label + " plugin: expected a string, found " + found_text(*node));
  }
  if (const PluginInfo* info = registry.find(kind, *name)) return *info;
  if (const PluginInfo* other = registry.find_any(*name)) {
    locator.fail(node->source(), path,
                 "'" + *name + "' is " + with_article(kind_name(other->kind)) + " plugin, not " +
                     with_article(kind_name(kind)) + " plugin");
  }
  std::vector<std::string> known;
  for (const PluginInfo* info : registry.list()) {
    if (info->kind == kind) known.push_back(info->name);
  }
  const std::optional<std::string> match = closest_match(*name, known);
  const std::string listing =
      known.empty() ? " (no " + kind_plural(kind) + " are loaded)"
                    : " (known " + kind_plural(kind) + ": " + joined(known, ", ") + ")";
  locator.fail(node->source(), path,
               "unknown " + std::string(kind_name(kind)) + " plugin '" + *name + "'" +
                   (match ? did_you_mean(*match) : "") + listing);
}

/// A plugin parameter named like a host key of its slot could never be set: the plugin is
/// unusable until it renames it.
void check_no_reserved_names(const PluginInfo& info, const std::vector<std::string>& host_keys,
                             const toml::node& plugin_node, const std::string& path,
                             const Locator& locator) {
  for (const ParamSchema& param : info.schema) {
    if (std::find(host_keys.begin(), host_keys.end(), param.name) == host_keys.end()) continue;
    throw PluginLoadError(locator.where(plugin_node.source(), path) + ": " + kind_name(info.kind) +
                          " plugin '" + info.name + "' (" + info.library_path +
                          ") declares parameter '" + param.name + "', a key the host reserves in " +
                          kind_name(info.kind) + " slots; the plugin must rename it");
  }
}

/// One plugin slot: the plugin, its parameters and the slot's host keys, defaults filled in.
PluginConfig read_slot(const toml::node& node, xreg_kind kind, const Schema& host_schema,
                       const std::string& label, const std::string& path, const Registry& registry,
                       const Locator& locator) {
  const toml::table& table = as_section_table(node, label, path, locator);
  const Section section{label, path, &table, path};
  const PluginInfo& info = find_slot_plugin(table, kind, section, registry, locator);
  std::vector<std::string> known = names_of(host_schema);
  known.insert(known.begin(), kPluginKey);
  check_no_reserved_names(info, known, *table.get(kPluginKey), section.key_path(kPluginKey),
                          locator);
  const std::vector<std::string> plugin_keys = names_of(info.schema);
  known.insert(known.end(), plugin_keys.begin(), plugin_keys.end());
  check_keys(table, known, "key", " in " + label + " (plugin '" + info.name + "')", section,
             locator);
  PluginConfig config;
  config.plugin = info.name;
  config.host = read_params(table, host_schema, section, locator);
  config.params = read_params(table, info.schema, section, locator);
  config.where = locator.where(table.source(), path);
  return config;
}

/// The slots of an array of tables ([[regularizer]], ...); none when the key is absent.
std::vector<PluginConfig> read_slots(const toml::table& root, const std::string& name,
                                     xreg_kind kind, const Schema& host_schema,
                                     const Registry& registry, const Locator& locator) {
  std::vector<PluginConfig> slots;
  const toml::node* node = root.get(name);
  if (node == nullptr) return slots;
  const toml::array* array = node->as_array();
  if (array == nullptr) {
    locator.fail(
        node->source(), name,
        name + ": expected an array of tables ([[" + name + "]]), found " + found_text(*node));
  }
  for (size_t i = 0; i < array->size(); ++i) {
    const std::string path = name + "[" + std::to_string(i) + "]";
    slots.push_back(read_slot((*array)[i], kind, host_schema, path, path, registry, locator));
  }
  return slots;
}

const Schema& no_host_keys() {
  static const Schema kEmpty;
  return kEmpty;
}

std::string base_dir_of(const std::string& file) {
  const fs::path parent = fs::path(file).parent_path();
  return parent.empty() ? "." : parent.string();
}

// ---------------------------------------------------------------------------------------------
// Overrides.

/// One step of an override's key: a table key, with an array index for arrays of tables.
struct KeyStep {
  std::string key;
  std::optional<size_t> index;
};

[[noreturn]] void bad_override(const std::string& text, const std::string& reason) {
  throw ConfigError("--set '" + text +
                    "': expected KEY=VALUE with KEY like train.lr or regularizer[0].weight; " +
                    reason);
}

std::vector<KeyStep> parse_override_key(const std::string& key, const std::string& text) {
  static const std::regex kStep(R"(([A-Za-z0-9_-]+)(?:\[([0-9]{1,9})\])?)");
  std::vector<KeyStep> steps;
  std::stringstream parts(key);
  std::string part;
  while (std::getline(parts, part, '.')) {
    std::smatch match;
    if (!std::regex_match(part, match, kStep)) {
      bad_override(text, "'" + part + "' is not a key or key[index]");
    }
    KeyStep step{match[1].str(), std::nullopt};
    if (match[2].matched) step.index = std::stoul(match[2].str());
    steps.push_back(step);
  }
  if (steps.empty() || key.back() == '.') bad_override(text, "the key is empty");
  return steps;
}

/// The override's value as a table holding it under "v": a TOML value when the text is one,
/// otherwise the text itself as a string, so that `--set model.path=net.pt` needs no quotes.
toml::table parse_override_value(const std::string& value) {
  try {
    toml::table parsed = toml::parse("v = " + value);
    if (parsed.size() == 1 && parsed.contains("v")) return parsed;
  } catch (const toml::parse_error&) {
    // Not a TOML value: taken as a string below.
  }
  toml::table fallback;
  fallback.insert("v", value);
  return fallback;
}

/// The array that `step` indexes into, created when absent; the index must name an entry or
/// the one after the last (which appends).
toml::array& indexed_array(toml::table& parent, const KeyStep& step, const std::string& text) {
  toml::array* array = parent.insert(step.key, toml::array{}).first->second.as_array();
  if (array == nullptr) bad_override(text, "'" + step.key + "' is not an array of tables");
  if (*step.index > array->size()) {
    bad_override(text, "'" + step.key + "' has " + std::to_string(array->size()) +
                           " entries, so the index can be at most " +
                           std::to_string(array->size()));
  }
  return *array;
}

/// The table that `step` leads to, created when absent.
toml::table& step_into(toml::table& parent, const KeyStep& step, const std::string& text) {
  toml::node* node = nullptr;
  if (step.index) {
    toml::array& array = indexed_array(parent, step, text);
    if (*step.index == array.size()) array.push_back(toml::table{});
    node = array.get(*step.index);
  } else {
    node = &parent.insert(step.key, toml::table{}).first->second;
  }
  toml::table* table = node->as_table();
  if (table == nullptr) bad_override(text, "'" + step.key + "' is not a table");
  return *table;
}

void assign(toml::table& parent, const KeyStep& step, const toml::node& value,
            const std::string& text) {
  if (!step.index) {
    parent.insert_or_assign(step.key, value);
    return;
  }
  toml::array& array = indexed_array(parent, step, text);
  if (*step.index == array.size()) {
    array.push_back(value);
  } else {
    array.replace(array.cbegin() + static_cast<std::ptrdiff_t>(*step.index), value);
  }
}

std::string trimmed(const std::string& text) {
  const size_t begin = text.find_first_not_of(" \t");
  if (begin == std::string::npos) return "";
  return text.substr(begin, text.find_last_not_of(" \t") - begin + 1);
}

/// Applies one "KEY=VALUE" override. The inserted nodes carry no source position, so messages
/// about them name the override instead of a place in the file.
void apply_override(toml::table& root, const std::string& text) {
  const size_t equals = text.find('=');
  if (equals == std::string::npos) bad_override(text, "there is no '='");
  const std::vector<KeyStep> steps = parse_override_key(trimmed(text.substr(0, equals)), text);
  const toml::table value = parse_override_value(trimmed(text.substr(equals + 1)));
  toml::table* table = &root;
  for (size_t i = 0; i + 1 < steps.size(); ++i) table = &step_into(*table, steps[i], text);
  assign(*table, steps.back(), *value.get("v"), text);
}

// ---------------------------------------------------------------------------------------------
// Resolved files.

bool is_bare_key(const std::string& key) {
  return !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
}

void write_key_value(std::ostream& out, const std::string& key, const Params::Value& value) {
  out << (is_bare_key(key) ? key : to_toml_text(key)) << " = " << to_toml_text(value) << "\n";
}

/// Writes the keys of `params` named in `order` first, in that order, then the others.
void write_params(std::ostream& out, const Params& params, const Schema& order) {
  const std::vector<std::string> ordered = names_of(order);
  for (const std::string& key : ordered) {
    if (params.has(key)) write_key_value(out, key, params.values().at(key));
  }
  for (const auto& [key, value] : params.values()) {
    if (std::find(ordered.begin(), ordered.end(), key) == ordered.end()) {
      write_key_value(out, key, value);
    }
  }
}

void write_slot(std::ostream& out, const std::string& header, const PluginConfig& slot,
                const Schema& host_schema) {
  out << "\n" << header << "\n";
  write_key_value(out, kPluginKey, slot.plugin);
  write_params(out, slot.host, host_schema);
  write_params(out, slot.params, no_host_keys());
}

}  // namespace

const Schema& run_schema() {
  static const Schema schema = host_schema(kRunSpecs);
  return schema;
}

const Schema& train_schema() {
  static const Schema schema = host_schema(kTrainSpecs);
  return schema;
}

const Schema& regularizer_slot_schema() {
  static const Schema schema = host_schema(kRegularizerSlotSpecs);
  return schema;
}

const Schema& labeled_slot_schema() {
  static const Schema schema = host_schema(kLabeledSlotSpecs);
  return schema;
}

const Schema& metric_slot_schema() {
  static const Schema schema = host_schema(kMetricSlotSpecs);
  return schema;
}

std::string slot_label(const PluginConfig& slot) {
  const std::string& name = slot.host.string("name");
  return name.empty() ? slot.plugin : name;
}

namespace {

/// Reports and random streams tell slots apart by label: two slots of a kind may not share one.
/// Every explainer a metric names exists.
void check_metric_explainers(const Pipeline& pipeline) {
  for (const auto& metric : pipeline.metrics) {
    for (const auto& wanted : metric.host.strings("explainers")) {
      const bool found = std::any_of(
          pipeline.explainers.begin(), pipeline.explainers.end(),
          [&](const PluginConfig& explainer) { return slot_label(explainer) == wanted; });
      if (!found) {
        throw ConfigError(metric.where + ": [[metric]] '" + slot_label(metric) +
                          "' names explainer '" + wanted + "', which no [[explainer]] is labelled");
      }
    }
  }
}

void check_unique_labels(const std::vector<PluginConfig>& slots, const std::string& kind) {
  for (size_t i = 0; i < slots.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (slot_label(slots[i]) == slot_label(slots[j])) {
        throw ConfigError(slots[i].where + ": a second [[" + kind + "]] labelled '" +
                          slot_label(slots[i]) + "'; set name = \"...\" on one of them");
      }
    }
  }
}

}  // namespace

toml::table read_pipeline_file(const std::string& path, const std::vector<std::string>& overrides) {
  std::error_code error;
  if (fs::is_directory(path, error)) {
    throw ConfigError(path + ": cannot read pipeline file: it is a directory");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path + ": cannot read pipeline file: " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw ConfigError(path + ": cannot read pipeline file: " + std::strerror(errno));
  return parse_pipeline_text(text.str(), path, overrides);
}

toml::table parse_pipeline_text(const std::string& text, const std::string& source_name,
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

std::vector<std::string> pipeline_plugin_paths(const toml::table& table,
                                               const std::string& base_dir) {
  // Values of another type are left to validate_pipeline, which checks [run] first.
  std::vector<std::string> paths;
  const toml::array* folders = table["run"]["plugin_path"].as_array();
  if (folders == nullptr) return paths;
  for (const toml::node& folder : *folders) {
    const std::optional<std::string> text = folder.value_exact<std::string>();
    if (!text) continue;
    const fs::path path(*text);
    paths.push_back(path.is_absolute() ? path.string()
                                       : (fs::path(base_dir) / path).lexically_normal().string());
  }
  return paths;
}

Pipeline validate_pipeline(const toml::table& table, const std::string& file,
                           const Registry& registry) {
  static const std::vector<std::string> kSections = {"run",         "data",      "train", "model",
                                                     "regularizer", "explainer", "metric"};
  const Locator locator(file);
  check_keys(table, kSections, "table", "", Section{"", "", &table, ""}, locator);

  Pipeline pipeline;
  pipeline.file = file;
  pipeline.base_dir = base_dir_of(file);
  pipeline.run = read_host_section(table, "run", run_schema(), locator);
  pipeline.data = read_host_section(table, "data", data_schema(), locator);
  pipeline.train = read_host_section(table, "train", train_schema(), locator);
  const toml::node* model = table.get("model");
  if (model == nullptr) {
    locator.fail(table.source(), "",
                 "missing [model] table: it names the model plugin and its parameters");
  }
  pipeline.model =
      read_slot(*model, XREG_KIND_MODEL, no_host_keys(), "[model]", "model", registry, locator);
  pipeline.regularizers = read_slots(table, "regularizer", XREG_KIND_REGULARIZER,
                                     regularizer_slot_schema(), registry, locator);
  pipeline.explainers =
      read_slots(table, "explainer", XREG_KIND_EXPLAINER, labeled_slot_schema(), registry, locator);
  pipeline.metrics =
      read_slots(table, "metric", XREG_KIND_METRIC, metric_slot_schema(), registry, locator);
  check_unique_labels(pipeline.regularizers, "regularizer");
  check_unique_labels(pipeline.explainers, "explainer");
  check_unique_labels(pipeline.metrics, "metric");
  check_metric_explainers(pipeline);
  return pipeline;
}

std::string resolved_toml(const Pipeline& pipeline) {
  std::ostringstream out;
  out << "# Resolved pipeline of " << first_line(pipeline.file)
      << ": every key with its value, defaults filled in.\n";
  out << "\n[run]\n";
  write_params(out, pipeline.run, run_schema());
  out << "\n[data]\n";
  write_params(out, pipeline.data, data_schema());
  out << "\n[train]\n";
  write_params(out, pipeline.train, train_schema());
  write_slot(out, "[model]", pipeline.model, no_host_keys());
  for (const PluginConfig& slot : pipeline.regularizers) {
    write_slot(out, "[[regularizer]]", slot, regularizer_slot_schema());
  }
  for (const PluginConfig& slot : pipeline.explainers) {
    write_slot(out, "[[explainer]]", slot, labeled_slot_schema());
  }
  for (const PluginConfig& slot : pipeline.metrics) {
    write_slot(out, "[[metric]]", slot, metric_slot_schema());
  }
  return out.str();
}

}  // namespace xreg
