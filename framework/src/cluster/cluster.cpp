#include "xreg/host/cluster/cluster.hpp"

#include <netdb.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <iostream>
#include <map>
#include <mutex>
#include <streambuf>
#include <thread>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include "xreg/host/errors.hpp"

namespace xreg {
namespace {

using Clock = std::chrono::steady_clock;

constexpr auto kPoll = std::chrono::milliseconds(20);

std::vector<uint8_t> as_bytes(const std::string& text) {
  return std::vector<uint8_t>(text.begin(), text.end());
}

std::string as_text(const std::vector<uint8_t>& bytes) {
  return std::string(bytes.begin(), bytes.end());
}

std::string seconds_text(std::chrono::milliseconds duration) {
  return std::to_string(duration.count() / 1000.0).substr(0, 5) + " s";
}

std::string heartbeat_key(int64_t rank) { return "heartbeat/" + std::to_string(rank); }
std::string done_key(int64_t rank) { return "done/" + std::to_string(rank); }
constexpr const char* kFailedKey = "failed";

/// Returns once something listens at host:port, or at `deadline`, trying every kPoll: the
/// store's client waits a whole second between tries of its own, which a rank started before
/// rank 0 serves would otherwise pay at every rendezvous.
void await_listener(const std::string& host, int port, Clock::time_point deadline) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0) return;
  const std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> addresses(found, freeaddrinfo);
  while (Clock::now() < deadline) {
    for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
      const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
      if (fd < 0) continue;
      const timeval patience{1, 0};  // an unreachable host does not hold the loop longer
      ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &patience, sizeof(patience));
      const bool listening = ::connect(fd, a->ai_addr, a->ai_addrlen) == 0;
      ::close(fd);
      if (listening) return;
    }
    std::this_thread::sleep_for(kPoll);
  }
}

/// Writes to `out` with `prefix` at the start of every line.
class PrefixedLines final : public std::streambuf {
 public:
  PrefixedLines(std::ostream& out, std::string prefix) : out_(out), prefix_(std::move(prefix)) {}

 protected:
  int overflow(int c) override {
    if (c == traits_type::eof()) return traits_type::not_eof(c);
    if (at_line_start_) out_ << prefix_;
    out_.put(static_cast<char>(c));
    at_line_start_ = c == '\n' || c == '\r';  // a progress line redrawn in place starts anew
    if (at_line_start_) out_.flush();
    return c;
  }

 private:
  std::ostream& out_;
  std::string prefix_;
  bool at_line_start_ = true;
};

/// An ostream that owns its PrefixedLines.
class PrefixedStream final : public std::ostream {
 public:
  PrefixedStream(std::ostream& out, std::string prefix)
      : std::ostream(nullptr), lines_(out, std::move(prefix)) {
    rdbuf(&lines_);
  }

 private:
  PrefixedLines lines_;
};

}  // namespace

std::unique_ptr<std::ostream> prefixed_log(std::ostream& out, const std::string& prefix) {
  return std::make_unique<PrefixedStream>(out, prefix);
}

// c10::intrusive_ptr's null-type parameter is hidden in LibTorch's headers, which GCC reports for
// any exported class holding one; Impl is private to this file either way.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wattributes"
struct Cluster::Impl {
  LaunchEnvironment launch;
  std::chrono::milliseconds timeout;
  c10::intrusive_ptr<c10d::Store> store;    ///< the main thread's (rank 0: and the server)
  c10::intrusive_ptr<c10d::Store> watcher;  ///< the watcher thread's own connection
  int64_t sequence = 0;
  std::function<void(const std::string&)> hook;
  std::mutex hook_lock;
  std::atomic<bool> stopping{false};
  std::atomic<bool> announced{false};  ///< this rank announced its own failure
  std::mutex wake_lock;
  std::condition_variable wake;
  std::thread watch_thread;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> group;  ///< connected by the first sum()

  c10::intrusive_ptr<c10d::ProcessGroupGloo> connect_group() const {
    auto options = c10d::ProcessGroupGloo::Options::create();
    const bool loopback =
        launch.master_addr.rfind("127.", 0) == 0 || launch.master_addr == "localhost";
    options->devices.push_back(loopback
                                   ? c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1")
                                   : c10d::ProcessGroupGloo::createDefaultDevice());
    options->timeout = timeout;
    auto prefixed = c10::make_intrusive<c10d::PrefixStore>("gloo", store);
    return c10::make_intrusive<c10d::ProcessGroupGloo>(prefixed, launch.rank, launch.world_size,
                                                       options);
  }

  std::string address() const {
    return launch.master_addr + ":" + std::to_string(launch.master_port);
  }

  std::string prefix() const { return "[rank " + std::to_string(launch.rank) + "] "; }

  c10::intrusive_ptr<c10d::Store> connect(bool serve) const {
    c10d::TCPStoreOptions options;
    options.port = static_cast<uint16_t>(launch.master_port);
    options.isServer = serve;
    options.numWorkers = static_cast<size_t>(launch.world_size);
    options.waitWorkers = false;
    options.timeout = timeout;
    if (!serve) await_listener(launch.master_addr, launch.master_port, Clock::now() + timeout);
    return c10::make_intrusive<c10d::TCPStore>(launch.master_addr, options);
  }

  /// Waits until `key` is set and returns its value; the watcher ends the process if the rank
  /// that should set it is lost.
  std::string await(const std::string& key) {
    while (!store->check({key})) std::this_thread::sleep_for(kPoll);
    return as_text(store->get(key));
  }

  void join() {
    store->add("joined", 1);
    const auto deadline = Clock::now() + timeout;
    int64_t joined = 0;
    while ((joined = store->add("joined", 0)) < launch.world_size) {
      if (Clock::now() > deadline) {
        throw RunError("rendezvous at " + address() + ": rank " + std::to_string(launch.rank) +
                       " of " + std::to_string(launch.world_size) + " waited " +
                       seconds_text(timeout) + " for all ranks to join; " + std::to_string(joined) +
                       " joined");
      }
      std::this_thread::sleep_for(kPoll);
    }
  }

  [[noreturn]] void fail_process(const std::string& reason) {
    std::cerr << "xreg: " << prefix() << reason << std::endl;
    {
      std::lock_guard<std::mutex> lock(hook_lock);
      if (hook) hook(reason);
    }
    std::_Exit(1);
  }

  /// One look at the others: a failure announced, or a heartbeat that stopped.
  void look(std::map<int64_t, std::pair<int64_t, Clock::time_point>>& seen) {
    watcher->add(heartbeat_key(launch.rank), 1);
    if (!announced && watcher->check({kFailedKey})) {
      fail_process(as_text(watcher->get(kFailedKey)));
    }
    for (int64_t other = 0; other < launch.world_size; ++other) {
      if (other == launch.rank || watcher->check({done_key(other)})) continue;
      const int64_t beats = watcher->add(heartbeat_key(other), 0);
      auto& [last, since] = seen[other];
      if (beats != last) {
        last = beats;
        since = Clock::now();
      } else if (Clock::now() - since > timeout) {
        fail_process("lost rank " + std::to_string(other) + ": no heartbeat for " +
                     seconds_text(timeout) + " (killed or hung); the run failed");
      }
    }
  }

  void watch() {
    const auto period =
        std::clamp(timeout / 10, std::chrono::milliseconds(50), std::chrono::milliseconds(1000));
    std::map<int64_t, std::pair<int64_t, Clock::time_point>> seen;
    for (int64_t other = 0; other < launch.world_size; ++other) seen[other] = {-1, Clock::now()};
    while (!stopping) {
      try {
        look(seen);
      } catch (const std::exception&) {
        if (stopping) return;
        fail_process("lost rank 0: the rendezvous at " + address() +
                     " stopped answering (rank 0 killed or failed); the run failed");
      }
      std::unique_lock<std::mutex> lock(wake_lock);
      wake.wait_for(lock, period, [&] { return stopping.load(); });
    }
  }

  void stop_watching() {
    stopping = true;
    wake.notify_all();
    if (watch_thread.joinable()) watch_thread.join();
  }
};
#pragma GCC diagnostic pop

Cluster::Cluster(const LaunchEnvironment& launch, std::chrono::milliseconds timeout)
    : impl_(std::make_unique<Impl>()) {
  impl_->launch = launch;
  impl_->timeout = timeout;
  const std::string who = "rendezvous at " + impl_->address() + ": rank " +
                          std::to_string(launch.rank) + " of " + std::to_string(launch.world_size);
  // torchrun's agent serves a store at MASTER_ADDR:MASTER_PORT itself and says so.
  const char* agent_store = std::getenv("TORCHELASTIC_USE_AGENT_STORE");
  const bool serve = launch.rank == 0 && !(agent_store && std::string(agent_store) == "True");
  try {
    impl_->store = impl_->connect(serve);
    impl_->watcher = impl_->connect(false);
  } catch (const std::exception& e) {
    throw RunError(who +
                   (serve ? " could not serve the store"
                          : " waited " + seconds_text(timeout) + " for the store") +
                   " (" + first_line(e.what()) + ")");
  }
  impl_->join();
  impl_->watch_thread = std::thread([impl = impl_.get()] { impl->watch(); });
}

Cluster::~Cluster() { impl_->stop_watching(); }

int64_t Cluster::rank() const { return impl_->launch.rank; }
int64_t Cluster::size() const { return impl_->launch.world_size; }
std::string Cluster::log_prefix() const { return impl_->prefix(); }

void Cluster::on_failure(std::function<void(const std::string&)> hook) {
  std::lock_guard<std::mutex> lock(impl_->hook_lock);
  impl_->hook = std::move(hook);
}

void Cluster::check_same_pipeline(const std::string& digest) {
  impl_->store->set("digest/" + std::to_string(rank()), as_bytes(digest));
  if (rank() != 0) {
    const std::string verdict = impl_->await("digest/verdict");
    if (verdict == "same") return;
    finish();  // rank 0 waits for every rank to be done before its store goes
    throw ConfigError("[rank " + std::to_string(rank()) + "] " + verdict);
  }
  std::string verdict = "same";
  for (int64_t other = 1; other < size() && verdict == "same"; ++other) {
    if (impl_->await("digest/" + std::to_string(other)) != digest) {
      verdict = "rank " + std::to_string(other) +
                " was given a different pipeline than rank 0 (another file, or other --set "
                "values): every rank must run the same pipeline";
    }
  }
  impl_->store->set("digest/verdict", as_bytes(verdict));
  if (verdict != "same") {
    finish();  // the others read the verdict before the store goes
    throw ConfigError("[rank 0] " + verdict);
  }
}

std::vector<std::string> Cluster::gather(const std::string& bytes) {
  const std::string key = "gather/" + std::to_string(++impl_->sequence) + "/";
  if (rank() != 0) {
    impl_->store->set(key + std::to_string(rank()), as_bytes(bytes));
    return {};
  }
  std::vector<std::string> all{bytes};
  for (int64_t other = 1; other < size(); ++other) {
    all.push_back(impl_->await(key + std::to_string(other)));
    impl_->store->deleteKey(key + std::to_string(other));
  }
  return all;
}

void Cluster::sum(std::vector<torch::Tensor>& tensors) {
  if (!impl_->group) impl_->group = impl_->connect_group();
  std::vector<torch::Tensor> flat;
  for (const torch::Tensor& tensor : tensors) flat.push_back(tensor.detach().reshape({-1}));
  std::vector<at::Tensor> buffer{torch::cat(flat)};
  impl_->group->allreduce(buffer)->wait();
  int64_t offset = 0;
  for (torch::Tensor& tensor : tensors) {
    const int64_t n = tensor.numel();
    tensor.detach().copy_(buffer[0].slice(0, offset, offset + n).view(tensor.sizes()));
    offset += n;
  }
}

void Cluster::announce_failure(const std::string& message) noexcept {
  impl_->announced = true;
  try {
    impl_->store->set(kFailedKey,
                      as_bytes("rank " + std::to_string(rank()) + " failed: " + message));
    // Rank 0 serves the store: it stays long enough for the others' watchers to read this.
    if (rank() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  } catch (const std::exception&) {
    // The others find out from the lost heartbeat instead.
  }
}

void Cluster::finish() {
  if (rank() != 0) {
    impl_->stop_watching();
    impl_->store->set(done_key(rank()), as_bytes("1"));
    return;
  }
  for (int64_t other = 1; other < size(); ++other) impl_->await(done_key(other));
  impl_->stop_watching();
}

}  // namespace xreg
