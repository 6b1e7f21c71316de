#include "xreg/host/plugin/registry.hpp"

#include <torch/version.h>

#include <algorithm>
#include <boost/dll/library_info.hpp>
#include <boost/dll/runtime_symbol_info.hpp>
#include <boost/dll/shared_library.hpp>
#include <cinttypes>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <iostream>
#include <optional>
#include <sstream>

#include "xreg/host/errors.hpp"
#include "xreg/host/plugin/guarded.hpp"
#include "xreg/sdk/version.h"

namespace xreg {

namespace fs = std::filesystem;

const char* kind_name(xreg_kind kind) {
  switch (kind) {
    case XREG_KIND_MODEL:
      return "model";
    case XREG_KIND_REGULARIZER:
      return "regularizer";
    case XREG_KIND_EXPLAINER:
      return "explainer";
    case XREG_KIND_METRIC:
      return "metric";
  }
  return "unknown";
}

xreg_kind kind_from_name(const std::string& name) {
  for (xreg_kind kind :
       {XREG_KIND_MODEL, XREG_KIND_REGULARIZER, XREG_KIND_EXPLAINER, XREG_KIND_METRIC}) {
    if (name == kind_name(kind)) return kind;
  }
  throw ConfigError("unknown plugin kind '" + name +
                    "'; expected model, regularizer, explainer or metric");
}

std::string explanation_kinds_text(uint32_t kinds) {
  std::string text;
  for (auto [bit, word] : {std::pair{XREG_EXPLANATION_LINEAR, "linear"},
                           std::pair{XREG_EXPLANATION_ATTRIBUTION, "attribution"},
                           std::pair{XREG_EXPLANATION_CONCEPT, "concept"}}) {
    if ((kinds & bit) != 0) text += (text.empty() ? "" : " or ") + std::string(word);
  }
  return text;
}

/// A loaded plugin library; objects created from it hold it alive.
class LoadedLibrary {
 public:
  LoadedLibrary(boost::dll::shared_library library, std::string path)
      : library_(std::move(library)), path_(std::move(path)) {}
  const std::string& path() const { return path_; }

 private:
  boost::dll::shared_library library_;
  std::string path_;
};

struct Registry::Entry {
  PluginInfo info;
  xreg_create_fn create = nullptr;
  xreg_destroy_fn destroy = nullptr;
  std::shared_ptr<LoadedLibrary> library;
};

namespace {

constexpr size_t kMinimalDescriptorSize =
    offsetof(xreg_library_descriptor, entry_count) + sizeof(uint32_t);
constexpr size_t kMinimalEntrySize =
    offsetof(xreg_plugin_entry, explanation_kinds) + sizeof(uint32_t);

/// The major number of a version "MAJOR.MINOR.PATCH"; -1 when it has none.
long version_major(const char* version) {
  if (version == nullptr) return -1;
  char* end = nullptr;
  const long major = std::strtol(version, &end, 10);
  return end == version ? -1 : major;
}

std::string hex(uint64_t value) {
  char text[32];
  std::snprintf(text, sizeof text, "0x%016" PRIX64, value);
  return text;
}

std::string or_none(const char* text) { return text ? text : "(none)"; }

bool is_known_kind(uint32_t kind) { return kind >= XREG_KIND_MODEL && kind <= XREG_KIND_METRIC; }

/// Refusal of a library: one line naming the file.
PluginLoadError refuse(const std::string& path, const std::string& what) {
  return PluginLoadError("plugin '" + path + "': " + what);
}

std::string host_abi() {
  return std::to_string(XREG_ABI_MAJOR) + "." + std::to_string(XREG_ABI_MINOR);
}

/// Checks everything about the descriptor that does not depend on its entries.
void check_descriptor(const std::string& path, const xreg_library_descriptor* d) {
  if (d == nullptr) throw refuse(path, "xreg_plugin_library() returned no descriptor");
  if (d->magic != XREG_ABI_MAGIC) {
    throw refuse(path, "bad magic number " + hex(d->magic) + "; expected " + hex(XREG_ABI_MAGIC) +
                           " (not an xreg plugin, or a corrupt build)");
  }
  const std::string plugin_abi = std::to_string(d->abi_major) + "." + std::to_string(d->abi_minor);
  if (d->abi_major != XREG_ABI_MAJOR) {
    throw refuse(path, "built for plugin ABI " + plugin_abi + " but this host uses ABI " +
                           host_abi() + "; rebuild the plugin against this host's SDK");
  }
  if (d->abi_minor > XREG_ABI_MINOR) {
    throw refuse(path, "built for plugin ABI " + plugin_abi + ", newer than this host's ABI " +
                           host_abi() + "; update xreg or rebuild the plugin against its SDK");
  }
  if (d->struct_size < kMinimalDescriptorSize || d->entry_size < kMinimalEntrySize) {
    throw refuse(path, "descriptor of " + std::to_string(d->struct_size) +
                           " bytes with entries of " + std::to_string(d->entry_size) +
                           " bytes; expected at least " + std::to_string(kMinimalDescriptorSize) +
                           " and " + std::to_string(kMinimalEntrySize));
  }
  if (d->torch_version == nullptr || std::string(d->torch_version) != TORCH_VERSION) {
    throw refuse(path, "built with LibTorch " + or_none(d->torch_version) + " but this host uses " +
                           TORCH_VERSION + "; rebuild the plugin with the host's LibTorch");
  }
  if (d->cxx_abi == nullptr || std::string(d->cxx_abi) != XREG_CXX_ABI_TAG) {
    throw refuse(path, "built with C++ ABI '" + or_none(d->cxx_abi) + "' but this host uses '" +
                           XREG_CXX_ABI_TAG + "'; rebuild the plugin with the host's compiler");
  }
  // The SDK's inline helpers (random streams, row layout) change results only with the SDK
  // major, which the golden-value tests pin.
  if (version_major(d->sdk_version) != version_major(XREG_SDK_VERSION)) {
    throw refuse(path, "built with xreg SDK " + or_none(d->sdk_version) +
                           ", whose random streams and row layout differ from this host's SDK " +
                           XREG_SDK_VERSION + "; rebuild the plugin against this host's SDK");
  }
}

/// The entry at `i`, read with the plugin's stride; fields the plugin lacks stay zero.
xreg_plugin_entry entry_at(const xreg_library_descriptor* d, uint32_t i) {
  xreg_plugin_entry entry{};
  const auto* base = reinterpret_cast<const unsigned char*>(d->entries) + size_t(i) * d->entry_size;
  std::memcpy(&entry, base, std::min<size_t>(d->entry_size, sizeof entry));
  return entry;
}

PluginInfo describe_entry(const std::string& path, const xreg_library_descriptor* d,
                          const xreg_plugin_entry& e) {
  if (e.name == nullptr || *e.name == '\0') throw refuse(path, "an entry has no name");
  const std::string name = e.name;
  if (!is_known_kind(e.kind)) {
    throw refuse(path, "entry '" + name + "' has unknown kind " + std::to_string(e.kind) +
                           "; expected 1 (model), 2 (regularizer), 3 (explainer) or 4 (metric)");
  }
  if (e.create == nullptr || e.destroy == nullptr) {
    throw refuse(path, "entry '" + name + "' has no create or destroy function");
  }
  PluginInfo info;
  info.kind = static_cast<xreg_kind>(e.kind);
  info.name = name;
  info.version = or_none(e.version);
  info.summary = e.summary ? e.summary : "";
  info.library_path = path;
  info.build_stamp = "sdk " + or_none(d->sdk_version) + "; torch " + d->torch_version + "; " +
                     d->cxx_abi + "; " + or_none(d->build_stamp);
  info.explanation_kinds = e.explanation_kinds;
  try {
    info.schema = schema_from_specs(e.params, e.param_count, e.param_size);
  } catch (const std::exception& error) {
    throw refuse(path, "entry '" + name + "': " + error.what());
  }
  return info;
}

bool same_folder(const std::string& a, const std::string& b) {
  std::error_code error;
  const fs::path folder_a = fs::weakly_canonical(fs::path(a).parent_path(), error);
  const fs::path folder_b = fs::weakly_canonical(fs::path(b).parent_path(), error);
  return folder_a == folder_b;
}

/// The dynamic loader's reason in Boost.DLL's message "... (dlerror system message: REASON):
/// ERRNO TEXT", without the errno text, which belongs to no call of ours ("Bad file descriptor").
std::string loader_reason(const std::string& what) {
  const std::string tag = "dlerror system message: ";
  const size_t begin = what.find(tag);
  if (begin == std::string::npos) return first_line(what);
  const size_t start = begin + tag.size();
  const size_t end = what.rfind("): ");
  return first_line(end == std::string::npos || end < start ? what.substr(start)
                                                            : what.substr(start, end - start));
}

/// Why the file at `path` is not an xreg plugin at all (not a shared library, or one that does
/// not export the entry point), read from its symbol table without loading it; nothing when it
/// claims to be a plugin, which is then loaded and checked (and refused if it fails).
std::optional<std::string> not_a_plugin(const std::string& path) {
  std::vector<std::string> symbols;
  try {
    symbols = boost::dll::library_info(path).symbols();
  } catch (const std::exception& e) {
    // Boost.DLL reads the headers with iostreams, whose failure says only "iostream error".
    const std::string reason = first_line(e.what());
    return "not a shared library (" +
           (reason.find("iostream error") != std::string::npos
                ? std::string("its ELF headers cannot be read")
                : reason) +
           ")";
  }
  if (std::find(symbols.begin(), symbols.end(), XREG_PLUGIN_ENTRY_POINT) == symbols.end()) {
    return std::string("no entry point '" XREG_PLUGIN_ENTRY_POINT "'; not an xreg plugin");
  }
  return std::nullopt;
}

/// The host's wrapper around a freshly created object of `kind`.
std::shared_ptr<Plugin> guard(const PluginInfo& info, void* raw, std::function<void()> destroy,
                              PluginLabel label) {
  auto own = [&](auto* object) {
    using T = std::remove_pointer_t<decltype(object)>;
    return std::shared_ptr<T>(object, [destroy](T*) { destroy(); });
  };
  switch (info.kind) {
    case XREG_KIND_MODEL:
      return std::make_shared<GuardedModel>(own(static_cast<Model*>(raw)), std::move(label));
    case XREG_KIND_REGULARIZER:
      return std::make_shared<GuardedRegularizer>(own(static_cast<Regularizer*>(raw)),
                                                  std::move(label));
    case XREG_KIND_EXPLAINER:
      return std::make_shared<GuardedExplainer>(own(static_cast<Explainer*>(raw)),
                                                std::move(label));
    case XREG_KIND_METRIC:
      return std::make_shared<GuardedMetric>(own(static_cast<Metric*>(raw)), std::move(label));
  }
  throw std::logic_error("unknown plugin kind");
}

}  // namespace

Registry::Registry()
    : warn_([](const std::string& line) { std::cerr << "xreg: warning: " << line << '\n'; }) {}
Registry::~Registry() = default;

void Registry::load_library(const std::string& path) {
  boost::dll::shared_library library;
  try {
    library.load(path, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
  } catch (const std::exception& e) {
    throw refuse(path, "cannot load the library: " + loader_reason(e.what()));
  }
  if (!library.has(XREG_PLUGIN_ENTRY_POINT)) {
    throw refuse(path, "no entry point '" XREG_PLUGIN_ENTRY_POINT
                       "'; expected a library built with XREG_PLUGIN_LIBRARY");
  }
  auto entry_point = library.get<const xreg_library_descriptor*()>(XREG_PLUGIN_ENTRY_POINT);
  const xreg_library_descriptor* descriptor = entry_point();
  check_descriptor(path, descriptor);

  auto loaded = std::make_shared<LoadedLibrary>(std::move(library), path);
  std::vector<std::shared_ptr<Entry>> found;
  for (uint32_t i = 0; i < descriptor->entry_count; ++i) {
    const xreg_plugin_entry e = entry_at(descriptor, i);
    auto entry = std::make_shared<Entry>();
    entry->info = describe_entry(path, descriptor, e);
    entry->create = e.create;
    entry->destroy = e.destroy;
    entry->library = loaded;
    auto key = std::make_pair(int(entry->info.kind), entry->info.name);
    auto clash = entries_.find(key);
    if (clash != entries_.end() && same_folder(clash->second->info.library_path, path)) {
      throw refuse(path, std::string(kind_name(entry->info.kind)) + " '" + entry->info.name +
                             "' is already provided by '" + clash->second->info.library_path +
                             "' in the same folder; remove one of the two libraries");
    }
    for (const auto& other : found) {
      if (other->info.kind == entry->info.kind && other->info.name == entry->info.name) {
        throw refuse(path, std::string(kind_name(entry->info.kind)) + " '" + entry->info.name +
                               "' is registered twice in this library");
      }
    }
    found.push_back(entry);
  }
  for (auto& entry : found) {
    auto& slot = entries_[{int(entry->info.kind), entry->info.name}];
    if (slot) {
      warn_(std::string(kind_name(entry->info.kind)) + " plugin '" + entry->info.name + "' from '" +
            path + "' overrides the one from '" + slot->info.library_path + "'");
    }
    slot = entry;
  }
  libraries_.push_back(loaded);
}

void Registry::load_directory(const std::string& directory) {
  std::error_code error;
  if (!fs::is_directory(directory, error)) {
    throw ConfigError("plugin directory '" + directory + "': not a directory");
  }
  std::vector<std::string> paths;
  fs::directory_iterator items(directory, error);
  if (error) {
    throw ConfigError("plugin directory '" + directory + "': cannot list: " + error.message());
  }
  for (const auto& item : items) {
    if (item.path().extension() != ".so") continue;
    // A link that loops or dangles is reported and skipped, as any other file that is no plugin.
    if (!item.is_regular_file(error)) {
      warn_("skipping '" + item.path().string() +
            "': " + (error ? error.message() : std::string("not a regular file")));
      continue;
    }
    paths.push_back(item.path().string());
  }
  std::sort(paths.begin(), paths.end());
  for (const auto& path : paths) {
    if (const auto reason = not_a_plugin(path)) {
      warn_("skipping '" + path + "': " + *reason);
      continue;
    }
    load_library(path);
  }
}

void Registry::set_warning_sink(std::function<void(const std::string&)> sink) {
  warn_ = std::move(sink);
}

const PluginInfo* Registry::find(xreg_kind kind, const std::string& name) const {
  auto it = entries_.find({int(kind), name});
  return it == entries_.end() ? nullptr : &it->second->info;
}

const PluginInfo* Registry::find_any(const std::string& name) const {
  for (const auto& [key, entry] : entries_) {
    if (key.second == name) return &entry->info;
  }
  return nullptr;
}

std::vector<const PluginInfo*> Registry::list() const {
  std::vector<const PluginInfo*> all;
  for (const auto& item : entries_) all.push_back(&item.second->info);
  return all;
}

std::shared_ptr<Plugin> Registry::create(xreg_kind kind, const std::string& name,
                                         const Params& params) const {
  auto it = entries_.find({int(kind), name});
  if (it == entries_.end()) {
    throw ConfigError(std::string("no ") + kind_name(kind) + " plugin named '" + name + "'");
  }
  const auto& entry = it->second;
  const std::string label =
      std::string(kind_name(kind)) + " plugin '" + name + "' (" + entry->info.library_path + ")";
  char error[2048] = {0};
  void* raw = nullptr;
  const int status = entry->create(&params, &raw, error, sizeof error);
  const std::string message = first_line(error[0] ? error : "no message");
  if (status == XREG_PLUGIN_BUG) {
    throw RunError(label + ": plugin bug: " + message +
                   "; the plugin does not match its own schema, report it to its author");
  }
  if (status != XREG_OK || raw == nullptr) throw ConfigError(label + ": create failed: " + message);
  auto destroy = [library = entry->library, destroy = entry->destroy, raw] { destroy(raw); };
  return guard(entry->info, raw, destroy, PluginLabel{label});
}

std::vector<std::string> plugin_search_path(const std::vector<std::string>& extra) {
  std::vector<std::string> path;
  // Installed layout (bin/xreg beside lib/xreg/plugins), else the build tree's
  // (bin/xreg beside plugins/).
  const auto program_dir = boost::dll::program_location().parent_path();
  for (const auto& candidate :
       {program_dir / XREG_PLUGIN_RELATIVE_DIR, program_dir / ".." / "plugins"}) {
    boost::system::error_code error;
    if (boost::filesystem::is_directory(candidate, error)) {
      path.push_back(boost::filesystem::canonical(candidate, error).string());
      break;
    }
  }
  if (const char* env = std::getenv("XREG_PLUGIN_PATH")) {
    std::stringstream list(env);
    std::string item;
    while (std::getline(list, item, ':')) {
      if (!item.empty()) path.push_back(item);
    }
  }
  path.insert(path.end(), extra.begin(), extra.end());
  return path;
}

}  // namespace xreg
